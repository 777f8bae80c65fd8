import {
  type BatchLimits,
  BatchService,
  BatchStore,
  createLogger,
  createQueue,
  createRedisConnection,
  defaultBatchLimits,
  IdempotencyStore,
  JobStore,
  JobSubmitter,
  loadModelCatalog,
  RedisFileStorage,
  RedisKeys,
} from '@llmq/core';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { createApp } from '../src/app';
import { ApiKeyRegistry } from '../src/http/api-keys';

export const tenantAKey = 'key-tenant-a-0001';
export const tenantBKey = 'key-tenant-b-0002';

/** The API app wired to a real Redis under a private prefix, with two tenants. */
export async function createApiHarness(
  options: { bodyLimit?: string; batchLimits?: BatchLimits } = {},
) {
  const keys = new RedisKeys(uniquePrefix('test-api'));
  const redis = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  const queue = createQueue('prompt', redis, keys);
  const store = new JobStore(redis, keys, { resultTtlSeconds: 600 });
  const { stream, lines: logLines } = captureLines();
  const logger = createLogger({ service: 'api-test', level: 'debug', stream });
  const submitter = new JobSubmitter({
    queue,
    store,
    idempotency: new IdempotencyStore(redis, keys),
    // The shipped catalog, with no real provider keyed (as in CI).
    catalog: loadModelCatalog(undefined, {
      availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
    }),
    defaultModel: 'sim-gpt-fast',
    attempts: 3,
  });
  const apiKeys = new ApiKeyRegistry([
    { tenant: 'tenant-a', key: tenantAKey },
    { tenant: 'tenant-b', key: tenantBKey },
  ]);
  const batchLimits = options.batchLimits ?? defaultBatchLimits;
  const files = new RedisFileStorage(redis, keys, { ttlSeconds: 600 });
  const batchStore = new BatchStore(redis, keys, { ttlSeconds: 600 });
  const controlQueue = createQueue('batch-ingest', redis, keys);
  const batches = new BatchService({
    store: batchStore,
    files,
    controlQueue,
    limits: batchLimits,
  });
  const app = createApp({
    redis,
    queue,
    store,
    submitter,
    apiKeys,
    logger,
    bodyLimit: options.bodyLimit ?? '64kb',
    batchApi: { files, batches, batchStore, batchLimits },
  });
  return {
    app,
    keys,
    redis,
    queue,
    store,
    logLines,
    /** Jobs BullMQ holds in any state. */
    async queuedCount(): Promise<number> {
      const counts = await queue.getJobCounts(
        'waiting',
        'prioritized',
        'delayed',
        'active',
        'completed',
        'failed',
      );
      return Object.values(counts).reduce((sum, count) => sum + count, 0);
    },
    async close() {
      await Promise.all([queue.close(), controlQueue.close()]);
      await cleanupPrefix(redis, keys.prefix);
      await redis.quit();
    },
  };
}
