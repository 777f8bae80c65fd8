import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { BudgetStore } from '../cost/budget-store';
import { lineCostNanoUsd } from '../cost/estimate-job-cost';
import { RedisFileStorage } from '../files/redis-file-storage';
import { createQueue } from '../jobs/create-queue';
import { FairPriority } from '../lanes/fair-priority';
import { RedisKeys } from '../redis/redis-keys';
import type { BatchIngester } from './batch-ingester';
import { BatchStore } from './batch-store';
import { testIngester } from './test-support/test-ingester';

let redis: Redis;
let keys: RedisKeys;
let store: BatchStore;
let files: RedisFileStorage;
let lineQueue: Queue;
let controlQueue: Queue;
let ingester: BatchIngester;

beforeEach(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  keys = new RedisKeys(uniquePrefix('test-ingest'));
  store = new BatchStore(redis, keys, { ttlSeconds: 600 });
  files = new RedisFileStorage(redis, keys, { ttlSeconds: 600, chunkBytes: 64 });
  lineQueue = createQueue('batch-line', redis, keys);
  controlQueue = createQueue('batch-ingest', redis, keys);
  ingester = testIngester({
    store,
    files,
    lineQueue,
    controlQueue,
    chunkSize: 3,
  });
});

afterEach(async () => {
  await Promise.all([lineQueue.close(), controlQueue.close()]);
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

async function batchWithFile(id: string, text: string) {
  const writer = files.createWriter({
    id: `file-${id}`,
    tenant: 't',
    filename: 'in',
    purpose: 'batch',
  });
  await writer.write(Buffer.from(text));
  await writer.commit();
  const now = Date.now();
  await store.create({
    id,
    tenant: 't',
    endpoint: '/v1/chat/completions',
    inputFileId: `file-${id}`,
    completionWindow: '24h',
    createdAt: now,
    expiresAt: now + 1000,
    reservedOutputFileId: 'file-out',
    reservedErrorFileId: 'file-err',
  });
}

const line = (customId: string, prompt = 'hi') =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { prompt },
  });

test('a clean file is queued in chunks with deterministic job ids, once even when retried', async () => {
  const text = Array.from({ length: 7 }, (_, index) => line(`c${index}`)).join('\n');
  await batchWithFile('b1', text);
  expect(await ingester.ingest('b1')).toBe('enqueued');
  expect(await ingester.ingest('b1')).toBe('skipped');
  expect(await lineQueue.count()).toBe(7);
  const job = await lineQueue.getJob('b1-6');
  expect(job?.data).toMatchObject({
    batchId: 'b1',
    index: 6,
    customId: 'c6',
    model: 'sim-gpt-fast',
  });
  expect(job?.opts.attempts).toBe(2);
  expect(await store.get('b1')).toMatchObject({ status: 'in_progress', counts: { total: 7 } });
});

test('with fair priorities, each chunk of lines is tagged in order, one turn per line', async () => {
  const fairIngester = testIngester({
    store,
    files,
    lineQueue,
    controlQueue,
    chunkSize: 3,
    fair: new FairPriority(redis, keys),
  });
  await batchWithFile('b5', Array.from({ length: 7 }, (_, index) => line(`c${index}`)).join('\n'));
  expect(await fairIngester.ingest('b5')).toBe('enqueued');
  // Default-priority lines take one step each, across chunks (3 + 3 + 1 lines).
  const ids = await redis.zrange(lineQueue.toKey('prioritized'), 0, -1);
  expect(ids).toEqual(Array.from({ length: 7 }, (_, index) => `b5-${index}`));
  const priorities = await Promise.all(
    ids.map(async (id) => (await lineQueue.getJob(id))?.opts.priority),
  );
  expect(priorities).toEqual([1, 2, 3, 4, 5, 6, 7]);
});

test('a file with a bad line fails the batch and queues nothing', async () => {
  await batchWithFile('b2', [line('a'), '', line('a'), '{'].join('\n'));
  expect(await ingester.ingest('b2')).toBe('invalid');
  expect(await lineQueue.count()).toBe(0);
  const batch = await store.get('b2');
  expect(batch?.status).toBe('failed');
  expect(batch?.errors?.map((error) => [error.line, error.code])).toEqual([
    [3, 'duplicate_custom_id'],
    [4, 'invalid_json_line'],
  ]);
});

test('a batch cancelled while validating queues no line and goes straight to finalisation', async () => {
  await batchWithFile('b3', [line('a'), line('b')].join('\n'));
  await store.cancel('b3', 't');
  expect(await ingester.ingest('b3')).toBe('cancelled');
  expect(await lineQueue.count()).toBe(0);
  expect(await controlQueue.getJob('finalize-b3')).toBeDefined();
});

test('a second ingest of a batch cancelled while validating queues no line either', async () => {
  await batchWithFile('b6', [line('a'), line('b')].join('\n'));
  await store.cancel('b6', 't');
  expect(await ingester.ingest('b6')).toBe('cancelled');
  // A retried ingest (its worker died after the first claimed finalisation) finds the claim
  // taken: it queues the finalisation again, never the lines.
  expect(await ingester.ingest('b6')).toBe('cancelled');
  expect(await lineQueue.count()).toBe(0);
  expect(await controlQueue.getJob('finalize-b6')).toBeDefined();
});

test('an ingest that cannot read its file throws; failing it ends the batch failed with the reason', async () => {
  await batchWithFile('b7', [line('a'), line('b')].join('\n'));
  // The file's chunks are not a list any more: every read is a Redis error.
  await redis.del(keys.fileChunks('file-b7'));
  await redis.set(keys.fileChunks('file-b7'), 'not a list');
  await expect(ingester.ingest('b7')).rejects.toThrow(/WRONGTYPE/);
  expect((await store.get('b7'))?.status).toBe('validating');
  const cause = { kind: 'attempts', attempts: 5 } as const;
  expect(await ingester.fail('b7', cause, 9000)).toEqual({ outcome: 'failed' });
  // A fixed message naming the cause, never the error as thrown (WRONGTYPE names a key).
  expect(await store.get('b7')).toMatchObject({
    status: 'failed',
    failedAt: 9000,
    errors: [
      {
        code: 'ingest_failed',
        message:
          "the batch's input could not be ingested: all 5 attempts failed on an internal error",
        param: null,
        line: null,
      },
    ],
  });
  expect(await ingester.fail('b7', { kind: 'stalled' })).toEqual({ outcome: 'ended' });
  expect(await lineQueue.count()).toBe(0);
});

test('failing an ingest that had begun queuing lines queues the finalisation of its batch', async () => {
  await batchWithFile('b8', [line('a'), line('b')].join('\n'));
  await store.begin('b8', 2);
  expect(await ingester.fail('b8', { kind: 'stalled' })).toEqual({
    outcome: 'finalize',
    notRun: 2,
    stopReason: 'failed',
  });
  expect(await store.get('b8')).toMatchObject({ status: 'finalizing', stopReason: 'failed' });
  expect(await controlQueue.getJob('finalize-b8')).toBeDefined();
});

describe('budgets at ingest', () => {
  const ingesterWith = (budgets: BudgetStore, fileStorage = files) =>
    testIngester({
      store,
      files: fileStorage,
      lineQueue,
      controlQueue,
      budgets,
    });

  test('a batch reserves the worst case of all its lines, and fails validation when that would pass a hard budget', async () => {
    const catalog = loadModelCatalog();
    const perLine = lineCostNanoUsd(catalog, {
      model: 'sim-gpt-fast',
      request: { messages: [{ role: 'user', content: 'hi' }] },
    });
    const budgets = new BudgetStore(redis, keys, { defaults: { dailyHard: perLine * 5 } });
    await batchWithFile(
      'fits',
      Array.from({ length: 4 }, (_, index) => line(`f${index}`)).join('\n'),
    );
    expect(await ingesterWith(budgets).ingest('fits')).toBe('enqueued');
    expect((await budgets.status('t')).reserved).toBe(perLine * 4);

    await batchWithFile(
      'dear',
      Array.from({ length: 2 }, (_, index) => line(`d${index}`)).join('\n'),
    );
    expect(await ingesterWith(budgets).ingest('dear')).toBe('invalid');
    expect((await store.get('dear'))?.errors?.[0]).toMatchObject({ code: 'budget_exceeded' });
    expect(await lineQueue.count()).toBe(4);
    expect((await budgets.status('t')).reserved).toBe(perLine * 4);
  });

  test('a failed ingest frees the reservation of the batch it fails', async () => {
    const budgets = new BudgetStore(redis, keys, { defaults: { dailyHard: 1_000_000_000 } });
    await batchWithFile('lost', line('x'));
    await budgets.reserve('t', 'lost', 1000, Date.now(), 600);
    expect((await budgets.status('t')).reserved).toBe(1000);
    expect(await ingesterWith(budgets).fail('lost', { kind: 'unrecoverable' })).toEqual({
      outcome: 'failed',
    });
    expect((await budgets.status('t')).reserved).toBe(0);
  });

  test('a batch that expired while it validated queues nothing, and its reservation goes back', async () => {
    const budgets = new BudgetStore(redis, keys, { defaults: { dailyHard: 1_000_000_000 } });
    await batchWithFile('late', [line('a'), line('b')].join('\n'));
    // The expiry lands while the ingest reads the file (the real store and files, one read
    // held at its first chunk until the batch has expired).
    let expired = false;
    const racing = Object.create(files) as RedisFileStorage;
    racing.read = async function* (fileId: string) {
      for await (const chunk of files.read(fileId)) {
        if (!expired) {
          expired = true;
          expect(await store.expire('late')).toBe('finalize');
        }
        yield chunk;
      }
    };
    const late = ingesterWith(budgets, racing);
    expect(await late.ingest('late')).toBe('skipped');
    expect(expired).toBe(true);
    expect(await lineQueue.count()).toBe(0);
    expect(await store.get('late')).toMatchObject({ status: 'finalizing', stopReason: 'expired' });
    expect((await budgets.status('t')).reserved).toBe(0);
  });

  test('a tenant without a hard budget is not priced and reserves nothing', async () => {
    const budgets = new BudgetStore(redis, keys, { defaults: { dailySoft: 1 } });
    await batchWithFile('free', line('x'));
    expect(await ingesterWith(budgets).ingest('free')).toBe('enqueued');
    expect((await budgets.status('t')).reserved).toBe(0);
  });
});
