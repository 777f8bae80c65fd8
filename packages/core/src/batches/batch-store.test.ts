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
  expect(await store.expire('b3')).toBe('stopping');
  expect(await store.stopReason('b3')).toBe('expired');
  await store.recordLine('b3', 0, 'skipped', 'z');
  expect(await store.finish('b3', {})).toBe('expired');
  expect(await store.expire('b3')).toBe('ended');
});

test('expiry ends a batch still validating: it finalises at once, a late begin starts nothing', async () => {
  await createBatch('v1');
  expect(await store.expire('v1', 5000)).toBe('finalize');
  expect(await store.get('v1')).toMatchObject({
    status: 'finalizing',
    finalizingAt: 5000,
    stopReason: 'expired',
  });
  expect(await store.statusCounts()).toMatchObject({ validating: 0, finalizing: 1 });
  // An ingest that was validating meanwhile finds the batch moved on and queues nothing.
  expect(await store.begin('v1', 4)).toBe('finalizing');
  expect((await store.get('v1'))?.counts.total).toBe(0);
  expect(await store.claimFinalize('v1')).toBe(false);
  expect(await store.finish('v1', {})).toBe('expired');
  expect(await store.statusCounts()).toMatchObject({ validating: 0, finalizing: 0 });
  expect(await store.expire('v1')).toBe('ended');
});

test('expiry ends a batch cancelled while validating as cancelled; a begun one is left to its lines', async () => {
  await createBatch('v2');
  await store.cancel('v2', 't');
  expect(await store.expire('v2')).toBe('finalize');
  expect(await store.finish('v2', {})).toBe('cancelled');

  await createBatch('v3');
  await store.begin('v3', 2);
  await store.cancel('v3', 't');
  expect(await store.expire('v3')).toBe('stopping');
  expect(await store.get('v3')).toMatchObject({ status: 'cancelling', stopReason: 'cancelled' });
});

test('a failed ingest fails a batch that queued no line at once, once, with its errors', async () => {
  const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
  await createBatch('f1');
  expect(await store.failIngest('f1', errors, 7000)).toEqual({ outcome: 'failed' });
  expect(await store.get('f1')).toMatchObject({
    status: 'failed',
    failedAt: 7000,
    errors,
    stopReason: 'failed',
  });
  expect(await store.statusCounts()).toMatchObject({ validating: 0 });
  expect(await redis.xlen(keys.webhookOutbox())).toBe(1);
  expect(await store.failIngest('f1', errors)).toEqual({ outcome: 'ended' });

  // Moved on: every line queued, or expired and finalising.
  await createBatch('f3');
  await store.begin('f3', 1);
  await store.markEnqueued('f3');
  expect(await store.failIngest('f3', errors)).toEqual({ outcome: 'ended' });
  await createBatch('f4');
  await store.expire('f4');
  expect(await store.failIngest('f4', errors)).toEqual({ outcome: 'ended' });
  expect(await store.get('f4')).toMatchObject({ status: 'finalizing' });
});

/** A ledger write of one call costing 5 nano-dollars, on keys of the test's own. */
function testLedger(): { keys: string[]; spec: string; usage: string; spend: string } {
  const usage = `${keys.prefix}:test-usage`;
  const spend = `${keys.prefix}:test-spend`;
  const reservation = ['reservations', 'reserved', 'expiry'].map(
    (name) => `${keys.prefix}:${name}`,
  );
  return {
    keys: [usage, spend, `${keys.prefix}:test-month`, ...reservation],
    spec: JSON.stringify({ f: ['calls', '1'], c: '5', ttl: '60', dttl: '60', mttl: '60' }),
    usage,
    spend,
  };
}

test('a failed ingest after lines were queued records the rest as not run; a late answer is billed once, not kept', async () => {
  const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
  // 11 lines: the bitmap's full bytes and the bits after them are both set.
  await createBatch('f2');
  await store.begin('f2', 11);
  await store.recordLine('f2', 0, 'completed', 'answer-0', { inputTokens: 2, outputTokens: 3 });
  await store.recordLine('f2', 9, 'failed', 'failure-9');
  expect(await store.failIngest('f2', errors, 8000)).toEqual({
    outcome: 'finalize',
    notRun: 9,
    stopReason: 'failed',
  });
  expect(await store.get('f2')).toMatchObject({
    status: 'finalizing',
    stopReason: 'failed',
    errors,
    counts: { total: 11, completed: 1, failed: 1, skipped: 9 },
  });
  expect(await store.stopReason('f2')).toBe('failed');
  expect(await store.statusCounts()).toMatchObject({ in_progress: 0, finalizing: 1 });
  // No event yet: the batch ends (batch.failed) when finalised.
  expect(await redis.xlen(keys.webhookOutbox())).toBe(0);

  // A line whose call was under way is not kept, but its call was paid: billed, once.
  const ledger = testLedger();
  const late = () => store.recordLine('f2', 4, 'completed', 'late', undefined, undefined, ledger);
  expect(await late()).toBe('billed');
  expect(await late()).toBe('duplicate');
  expect(await redis.hget(ledger.usage, 'calls')).toBe('1');
  expect(await redis.get(ledger.spend)).toBe('5');
  expect(await store.get('f2')).toMatchObject({ counts: { completed: 1, skipped: 9 } });
  // Nor is a line recorded before the failure billed again (a provider batch polled twice),
  // nor one skipped (it never called the provider).
  expect(await store.recordLine('f2', 0, 'completed', 'again', undefined, undefined, ledger)).toBe(
    'duplicate',
  );
  expect(await store.recordLine('f2', 5, 'skipped', 'not run', undefined, undefined, ledger)).toBe(
    'duplicate',
  );
  expect(await redis.hget(ledger.usage, 'calls')).toBe('1');

  // The bitmap as it was names the lines to list; each is listed once.
  const recorded = await store.recordedAtFailure('f2');
  expect(recorded).not.toBeNull();
  expect(
    await store.listNotRun('f2', [
      { index: 0, line: 'not-0' },
      { index: 1, line: 'not-1' },
    ]),
  ).toBe(1);
  expect(
    await store.listNotRun('f2', [
      { index: 1, line: 'not-1' },
      { index: 2, line: 'not-2' },
    ]),
  ).toBe(1);
  expect(await redis.lrange(keys.batchErrors('f2'), 0, -1)).toEqual([
    'failure-9',
    'not-1',
    'not-2',
  ]);
  expect(await store.failIngest('f2', errors)).toEqual({ outcome: 'ended' });

  // Finishing it ends it failed, with its batch.failed event.
  expect(await store.finish('f2', { outputFileId: 'file-out' }, 9000)).toBe('failed');
  expect(await store.get('f2')).toMatchObject({ status: 'failed', failedAt: 9000, errors });
  const entries = await redis.xrange(keys.webhookOutbox(), '-', '+');
  expect(entries.map(([, fields]) => fields)).toEqual([['batch_id', 'f2', 'status', 'failed']]);

  // Ended, its working keys dropped: a call that ends now is still billed once, and the batch
  // records nothing more.
  await store.dropWorkingKeys('f2');
  const after = () =>
    store.recordLine('f2', 6, 'failed', 'late failure', undefined, undefined, ledger);
  expect(await after()).toBe('billed');
  expect(await after()).toBe('duplicate');
  expect(await redis.hget(ledger.usage, 'calls')).toBe('2');
  expect(await store.get('f2')).toMatchObject({
    status: 'failed',
    counts: { total: 11, completed: 1, failed: 1, skipped: 9 },
  });
  expect(await redis.exists(keys.batchDone('f2'), keys.batchErrors('f2'))).toBe(0);
});

test('a line recorded after its batch ended changes nothing and bills nothing', async () => {
  await createBatch('e1');
  await store.begin('e1', 1);
  expect(await store.recordLine('e1', 0, 'completed', 'answer')).toBe('last');
  expect(await store.finish('e1', { outputFileId: 'file-out' })).toBe('completed');
  await store.dropWorkingKeys('e1');
  const ledger = testLedger();
  expect(await store.recordLine('e1', 0, 'completed', 'again', undefined, undefined, ledger)).toBe(
    'duplicate',
  );
  expect(await store.get('e1')).toMatchObject({ counts: { total: 1, completed: 1 } });
  expect(await redis.exists(keys.batchDone('e1'), keys.batchOutput('e1'), ledger.usage)).toBe(0);
});

test('a cancel (or an expiry) that came first decides how a batch whose ingest failed ends', async () => {
  const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
  // Never begun: cancelled now, with the ingest's error, its batch.cancelled event.
  await createBatch('c1');
  await store.cancel('c1', 't');
  expect(await store.failIngest('c1', errors, 7000)).toEqual({ outcome: 'cancelled' });
  expect(await store.get('c1')).toMatchObject({
    status: 'cancelled',
    cancelledAt: 7000,
    failedAt: undefined,
    stopReason: 'cancelled',
    errors,
  });
  expect(await store.statusCounts()).toMatchObject({ cancelling: 0 });
  const entries = await redis.xrange(keys.webhookOutbox(), '-', '+');
  expect(entries.map(([, fields]) => fields)).toEqual([['batch_id', 'c1', 'status', 'cancelled']]);

  // Begun: finalised, its lines not run as cancelled, and it ends cancelled.
  await createBatch('c2');
  await store.begin('c2', 3);
  await store.recordLine('c2', 0, 'completed', 'answer-0');
  await store.cancel('c2', 't');
  expect(await store.failIngest('c2', errors)).toEqual({
    outcome: 'finalize',
    notRun: 2,
    stopReason: 'cancelled',
  });
  expect(await store.get('c2')).toMatchObject({ status: 'finalizing', stopReason: 'cancelled' });
  expect(await store.finish('c2', {}, 8000)).toBe('cancelled');
  expect(await store.get('c2')).toMatchObject({ status: 'cancelled', cancelledAt: 8000, errors });

  // So does an expiry that came first.
  await createBatch('x1');
  await store.begin('x1', 2);
  expect(await store.expire('x1')).toBe('stopping');
  expect(await store.failIngest('x1', errors)).toEqual({
    outcome: 'finalize',
    notRun: 2,
    stopReason: 'expired',
  });
  expect(await store.finish('x1', {})).toBe('expired');
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

async function createMessageBatch(id: string, tenant: string, createdAt: number) {
  await store.create({
    id,
    tenant,
    endpoint: '/v1/messages',
    inputFileId: 'file-in',
    completionWindow: '24h',
    createdAt,
    expiresAt: createdAt + 86_400_000,
    reservedOutputFileId: 'file-out',
    reservedErrorFileId: 'file-err',
    total: 2,
  });
}

test("Message Batches are listed apart from OpenAI batches, newest first, by Anthropic's cursors", async () => {
  const now = Date.now();
  for (const [index, id] of ['m1', 'm2', 'm3', 'm4', 'm5'].entries())
    await createMessageBatch(id, 't', now + index);
  await createBatch('openai-1', 't', now + 10);
  await createMessageBatch('other-tenant', 'u', now + 20);
  const ids = async (page: Parameters<BatchStore['listMessageBatches']>[1]) => {
    const { batches, hasMore } = await store.listMessageBatches('t', page);
    return { ids: batches.map((batch) => batch.id), hasMore };
  };

  expect(await ids({ limit: 2 })).toEqual({ ids: ['m5', 'm4'], hasMore: true });
  expect(await ids({ limit: 2, afterId: 'm4' })).toEqual({ ids: ['m3', 'm2'], hasMore: true });
  expect(await ids({ limit: 2, afterId: 'm2' })).toEqual({ ids: ['m1'], hasMore: false });
  expect(await ids({ limit: 2, beforeId: 'm2' })).toEqual({ ids: ['m4', 'm3'], hasMore: true });
  expect(await ids({ limit: 5, beforeId: 'm3' })).toEqual({ ids: ['m5', 'm4'], hasMore: false });
  expect(await ids({ limit: 5, beforeId: 'm5' })).toEqual({ ids: [], hasMore: false });
  expect(await ids({ limit: 5, afterId: 'openai-1' })).toEqual({ ids: [], hasMore: false });
  expect(await ids({ limit: 10 })).toEqual({ ids: ['m5', 'm4', 'm3', 'm2', 'm1'], hasMore: false });
  expect((await store.list('t', { limit: 10 })).batches.map((batch) => batch.id)).toEqual([
    'openai-1',
  ]);
  // A Message Batch knows its request count from creation.
  expect((await store.get('m1'))?.counts.total).toBe(2);

  expect(await store.remove({ id: 'm3', tenant: 't', endpoint: '/v1/messages' })).toBe(true);
  expect(await store.get('m3')).toBeNull();
  expect(await ids({ limit: 10 })).toEqual({ ids: ['m5', 'm4', 'm2', 'm1'], hasMore: false });
  expect(await store.remove({ id: 'm3', tenant: 't', endpoint: '/v1/messages' })).toBe(false);
});
