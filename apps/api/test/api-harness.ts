import { Writable } from 'node:stream';
import {
  createLogger,
  createQueue,
  createRedisConnection,
  defaultFilterPolicy,
  defaultModelEntries,
  type FilterPolicy,
  IdempotencyStore,
  JobStore,
  JobSubmitter,
  ModelCatalog,
  RedisKeys,
} from '@llmq/core';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { createApp } from '../src/app';
import { ApiKeyRegistry } from '../src/http/api-keys';
import { createApiSecurity } from '../src/http/api-security';

export const tenantAKey = 'key-tenant-a-0001';
export const tenantBKey = 'key-tenant-b-0002';
/** The bootstrap admin key (as `ADMIN_API_KEY`). */
export const adminKey = 'admin-key-for-tests-000000000001';

/** The API app wired to a real Redis under a private prefix, with two tenants. */
export async function createApiHarness(
  options: {
    bodyLimit?: string;
    filterDefaults?: FilterPolicy;
    requestTimeoutMs?: number;
    corsOrigins?: string[];
    /** Share another harness's Redis prefix (a second API instance on the same data). */
    keys?: RedisKeys;
  } = {},
) {
  const keys = options.keys ?? new RedisKeys(uniquePrefix('test-api'));
  const redis = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  const queue = createQueue('prompt', redis, keys);
  const store = new JobStore(redis, keys, { resultTtlSeconds: 600 });
  const logLines: string[] = [];
  const logger = createLogger({
    service: 'api-test',
    level: 'debug',
    stream: new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    }),
  });
  const submitter = new JobSubmitter({
    queue,
    store,
    idempotency: new IdempotencyStore(redis, keys),
    catalog: new ModelCatalog(defaultModelEntries({})),
    defaultModel: 'sim-gpt-fast',
    attempts: 3,
  });
  const apiKeys = new ApiKeyRegistry([
    { tenant: 'tenant-a', key: tenantAKey },
    { tenant: 'tenant-b', key: tenantBKey },
  ]);
  const security = await createApiSecurity({
    redis,
    keys,
    logger,
    staticKeys: apiKeys,
    bootstrapAdminKey: adminKey,
    filterDefaults: options.filterDefaults ?? defaultFilterPolicy,
    // Policies are read fresh in tests, so a test's PUT applies at once.
    filterPolicyCacheMs: 0,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    corsOrigins: options.corsOrigins ?? [],
  });
  const app = createApp({
    redis,
    queue,
    store,
    submitter,
    security,
    logger,
    bodyLimit: options.bodyLimit ?? '64kb',
  });
  return {
    app,
    keys,
    redis,
    queue,
    store,
    security,
    logger,
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
      await security.close();
      await queue.close();
      await cleanupPrefix(redis, keys.prefix);
      await redis.quit();
    },
  };
}
