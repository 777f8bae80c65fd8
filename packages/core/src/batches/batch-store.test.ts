import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { BatchStore } from './batch-store';

let redis: Redis;
let keys: RedisKeys;
let store: BatchStore;

beforeEach(async () => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-batches'));
  store = new BatchStore(redis, keys, { ttlSeconds: 600 });
});

afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

async function createBatch(id: string, tenant = 't', createdAt = Date.now()) {
  await store.create({
    id,
    tenant,
    endpoint: '/v1/chat/completions',
    inputFileId: 'file-in',
    completionWindow: '24h',
    createdAt,
    expiresAt: createdAt + 86_400_000,
    reservedOutputFileId: 'file-out',
    reservedErrorFileId: 'file-err',
  });
}

test('each line counts once, the last one claims finalisation once', async () => {
  await createBatch('b1');
  expect(await store.begin('b1', 3)).toBe('validating');
  expect(
    await store.recordLine('b1', 0, 'completed', 'x', { inputTokens: 2, outputTokens: 3 }),
  ).toBe('recorded');
  expect(await store.recordLine('b1', 0, 'completed', 'x')).toBe('duplicate');
  expect(await store.recordLine('b1', 1, 'failed', 'y')).toBe('recorded');
  expect(await store.recordLine('b1', 2, 'skipped', 'z')).toBe('last');
  expect(await store.recordLine('b1', 2, 'skipped', 'z')).toBe('duplicate');
  const batch = await store.get('b1');
  expect(batch).toMatchObject({
    status: 'finalizing',
    counts: { total: 3, completed: 1, failed: 1, skipped: 1 },
    usage: { inputTokens: 2, outputTokens: 3 },
  });
  expect(await redis.llen(keys.batchOutput('b1'))).toBe(1);
  expect(await redis.llen(keys.batchErrors('b1'))).toBe(2);
  expect(await store.finish('b1', { outputFileId: 'file-out' })).toBe('completed');
  expect(await store.get('b1')).toMatchObject({ status: 'completed', outputFileId: 'file-out' });
});

test('cancel is scoped to the tenant and ends as cancelled; a finished batch is not cancellable', async () => {
  await createBatch('b2');
  await store.begin('b2', 1);
  expect(await store.cancel('b2', 'other')).toEqual({ outcome: 'missing' });
  expect(await store.cancel('b2', 't')).toEqual({ outcome: 'cancelling' });
  expect(await store.stopReason('b2')).toBe('cancelled');
  expect(await store.recordLine('b2', 0, 'skipped', 'z')).toBe('last');
  expect(await store.finish('b2', {})).toBe('cancelled');
  expect(await store.cancel('b2', 't')).toEqual({
    outcome: 'not_cancellable',
    status: 'cancelled',
  });
});

test('expiry marks a running batch, which then ends as expired', async () => {
  await createBatch('b3');
  await store.begin('b3', 1);
  expect(await store.expire('b3')).toBe(true);
  expect(await store.stopReason('b3')).toBe('expired');
  await store.recordLine('b3', 0, 'skipped', 'z');
  expect(await store.finish('b3', {})).toBe('expired');
  expect(await store.expire('b3')).toBe(false);
});

test('validation failure records errors; listing pages newest first per tenant', async () => {
  await createBatch('b4', 't', 1000);
  await createBatch('b5', 't', 2000);
  await createBatch('b6', 't', 3000);
  await createBatch('b7', 'u', 4000);
  const errors = [{ code: 'invalid_json_line', message: 'bad', param: null, line: 2 }];
  expect(await store.failValidation('b4', errors, 5)).toBe(true);
  expect(await store.get('b4')).toMatchObject({ status: 'failed', errors });

  const first = await store.list('t', { limit: 2 });
  expect(first.batches.map((batch) => batch.id)).toEqual(['b6', 'b5']);
  expect(first.hasMore).toBe(true);
  const second = await store.list('t', { limit: 2, after: 'b5' });
  expect(second.batches.map((batch) => batch.id)).toEqual(['b4']);
  expect(second.hasMore).toBe(false);
});

test('keeps how many batches are in each live status, moved by every transition', async () => {
  const counts = () => store.statusCounts();
  await createBatch('b1');
  await createBatch('b2');
  await createBatch('b3');
  expect(await counts()).toEqual({ validating: 3, in_progress: 0, finalizing: 0, cancelling: 0 });
  await store.begin('b1', 1);
  await store.cancel('b2', 't');
  await store.failValidation('b3', [], 0);
  expect(await counts()).toEqual({ validating: 0, in_progress: 1, finalizing: 0, cancelling: 1 });
  expect(await store.recordLine('b1', 0, 'completed', 'x')).toBe('last');
  expect(await counts()).toEqual({ validating: 0, in_progress: 0, finalizing: 1, cancelling: 1 });
  expect(await store.finish('b1', {})).toBe('completed');
  expect(await store.claimFinalize('b2')).toBe(true);
  expect(await store.finish('b2', {})).toBe('cancelled');
  // A second finish (a retried finalisation) moves nothing.
  expect(await store.finish('b1', {})).toBeNull();
  expect(await counts()).toEqual({ validating: 0, in_progress: 0, finalizing: 0, cancelling: 0 });
});
