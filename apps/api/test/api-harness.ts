import {
  createLogger,
  createQueue,
  createRedisConnection,
  IdempotencyStore,
  JobEventReader,
  JobStore,
  JobSubmitter,
  loadModelCatalog,
  RedisKeys,
} from '@llmq/core';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { createApp } from '../src/app';
import { ApiKeyRegistry } from '../src/http/api-keys';
import { InteractiveJobs } from '../src/interactive/interactive-jobs';
import type { ResponseCache } from '../src/interactive/response-cache';

export const tenantAKey = 'key-tenant-a-0001';
export const tenantBKey = 'key-tenant-b-0002';

/** The API app wired to a real Redis under a private prefix, with two tenants. */
export async function createApiHarness(
  options: {
    bodyLimit?: string;
    /** Sync-wait timeout of the compatible endpoints, ms (default 5000). */
    waitTimeoutMs?: number;
    cache?: ResponseCache;
  } = {},
) {
  const keys = new RedisKeys(uniquePrefix('test-api'));
  const redis = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  const eventsConnection = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  const queue = createQueue('prompt', redis, keys);
  const interactiveQueue = createQueue('interactivePrompt', redis, keys);
  const store = new JobStore(redis, keys, { resultTtlSeconds: 600 });
  const { stream, lines: logLines } = captureLines();
  const logger = createLogger({ service: 'api-test', level: 'debug', stream });
  // The shipped catalog, with no real provider keyed (as in CI).
  const catalog = loadModelCatalog(undefined, {
    availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
  });
  const submitter = new JobSubmitter({
    queue,
    interactiveQueue,
    store,
    idempotency: new IdempotencyStore(redis, keys),
    catalog,
    defaultModel: 'sim-gpt-fast',
    attempts: 3,
  });
  const apiKeys = new ApiKeyRegistry([
    { tenant: 'tenant-a', key: tenantAKey },
    { tenant: 'tenant-b', key: tenantBKey },
  ]);
  const reader = new JobEventReader({
    blockingConnection: eventsConnection,
    controlConnection: redis,
    keys,
  });
  const jobs = new InteractiveJobs({
    submitter,
    store,
    reader,
    redis,
    keys,
    interactiveQueue,
    catalog,
    waitTimeoutMs: options.waitTimeoutMs ?? 5000,
    cancelOnDisconnect: true,
    cache: options.cache,
  });
  const app = createApp({
    redis,
    queue,
    store,
    submitter,
    apiKeys,
    logger,
    bodyLimit: options.bodyLimit ?? '64kb',
    streaming: { jobs, reader, keys },
  });
  return {
    app,
    keys,
    redis,
    queue,
    interactiveQueue,
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
      await reader.close();
      await Promise.all([queue.close(), interactiveQueue.close()]);
      await cleanupPrefix(redis, keys.prefix);
      await Promise.all([redis.quit(), eventsConnection.quit()]);
    },
  };
}
