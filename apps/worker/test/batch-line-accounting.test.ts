import {
  BatchStore,
  createMetrics,
  createQueue,
  createRedisConnection,
  RedisKeys,
} from '@llmq/core';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { finishBatchLine } from '../src/batches/finish-batch-line';

let redis: Redis;
let keys: RedisKeys;
let controlQueue: Queue;

beforeEach(() => {
  redis = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  keys = new RedisKeys(uniquePrefix('test-batch-lines'));
  controlQueue = createQueue('batch-ingest', redis, keys);
});

afterEach(async () => {
  await controlQueue.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

test('each line is counted once in llm_batch_requests_total, and the last one queues the finalisation', async () => {
  const batches = new BatchStore(redis, keys, { ttlSeconds: 120 });
  const metrics = createMetrics({ defaultMetrics: false });
  await batches.create({
    id: 'batch_a',
    tenant: 't',
    endpoint: '/v1/chat/completions',
    inputFileId: 'file-in',
    completionWindow: '24h',
    createdAt: 1000,
    expiresAt: 86_401_000,
    reservedOutputFileId: 'file-out',
    reservedErrorFileId: 'file-err',
  });
  await batches.begin('batch_a', 3);
  const options = { batches, controlQueue, metrics };
  const line = (index: number) => ({ batchId: 'batch_a', index });
  await finishBatchLine(options, line(0), 'completed', '{"ok":1}');
  // A retried attempt of the same line (its first record survived) changes nothing.
  await finishBatchLine(options, line(0), 'completed', '{"ok":1}');
  await finishBatchLine(options, line(1), 'failed', '{"error":1}');
  expect(await controlQueue.getJob('finalize-batch_a')).toBeUndefined();
  await finishBatchLine(options, line(2), { skipped: 'expired' }, '{"error":2}');

  const { values } = await metrics.batchRequests.get();
  const byOutcome = Object.fromEntries(values.map((value) => [value.labels.outcome, value.value]));
  expect(byOutcome).toEqual({ completed: 1, failed: 1, expired: 1 });
  expect(await controlQueue.getJob('finalize-batch_a')).toBeDefined();
  expect((await batches.get('batch_a'))?.counts).toEqual({
    total: 3,
    completed: 1,
    failed: 1,
    skipped: 1,
  });
});
