import {
  AddressPolicy,
  type BatchLimits,
  BatchService,
  BatchStore,
  type BudgetLimits,
  BudgetStore,
  CachePolicyStore,
  createLogger,
  createMetrics,
  createQueue,
  createRedisConnection,
  defaultBatchLimits,
  defaultFilterPolicy,
  type FilterPolicy,
  GatewayRateLimiter,
  IdempotencyStore,
  JobEndWatcher,
  JobEventReader,
  JobStore,
  JobSubmitter,
  KeyConcurrencyLimiter,
  LaneThroughput,
  loadModelCatalog,
  MessageBatchService,
  messageBatchLimitsOf,
  RedisFileStorage,
  RedisKeys,
  ResponseStore,
  SubmissionStore,
  TenantFlowStore,
  WebhookDeliveryStore,
  WebhookEndpointStore,
} from '@llmq/core';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import type { Redis } from 'ioredis';
import { createApp } from '../src/app';
import { ApiKeyRegistry } from '../src/http/api-keys';
import { createApiSecurity } from '../src/http/api-security';
import { InteractiveJobs } from '../src/interactive/interactive-jobs';
import type { ResponseCache } from '../src/interactive/response-cache';

export const tenantAKey = 'key-tenant-a-0001';
export const tenantBKey = 'key-tenant-b-0002';
/** The bootstrap admin key (as `ADMIN_API_KEY`). */
export const adminKey = 'admin-key-for-tests-000000000001';
/** The metrics bearer token (as `METRICS_TOKEN`); `/metrics` is served on the API app. */
export const metricsToken = 'metrics-token-for-tests-0001';

/** The API app wired to a real Redis under a private prefix, with two tenants. */
export async function createApiHarness(
  options: {
    bodyLimit?: string;
    /** Sync-wait timeout of the compatible endpoints, ms (default 5000). */
    waitTimeoutMs?: number;
    /** Keep-alive interval of streamed answers, ms (default 15000). */
    keepAliveMs?: number;
    cache?: ResponseCache;
    filterDefaults?: FilterPolicy;
    requestTimeoutMs?: number;
    corsOrigins?: string[];
    /** Share another harness's Redis prefix (a second API instance on the same data). */
    keys?: RedisKeys;
    batchLimits?: BatchLimits;
    /** Gateway limit of keys without their own (`RATE_LIMIT_REQUESTS_PER_MINUTE`); absent: none. */
    requestsPerMinute?: number;
    /** Default budget limits (nano-dollars); none by default. */
    budgetDefaults?: BudgetLimits;
    /** `GET /docs` opens without a key, as in development (default: closed, as in production). */
    apiReferenceOpen?: boolean;
    /** The stored responses of `/v1/responses` (default a `ResponseStore` kept 600 s). */
    responses?: (redis: Redis, keys: RedisKeys) => ResponseStore;
  } = {},
) {
  const keys = options.keys ?? new RedisKeys(uniquePrefix('test-api'));
  const redis = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  const eventsConnection = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  const queue = createQueue('prompt', redis, keys);
  const interactiveQueue = createQueue('interactivePrompt', redis, keys);
  const webhookQueue = createQueue('webhook-delivery', redis, keys);
  const webhookEndpoints = new WebhookEndpointStore(redis, keys, { rotationWindowSeconds: 3600 });
  const webhookDeliveries = new WebhookDeliveryStore(redis, keys, { ttlSeconds: 600 });
  const store = new JobStore(redis, keys, { resultTtlSeconds: 600 });
  const { stream, lines: logLines } = captureLines();
  const logger = createLogger({ service: 'api-test', level: 'debug', stream });
  // The shipped catalog, with no real provider keyed (as in CI).
  const catalog = loadModelCatalog(undefined, {
    availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const budgets = new BudgetStore(redis, keys, {
    defaults: options.budgetDefaults ?? {},
    logger,
    metrics,
  });
  const submitter = new JobSubmitter({
    queue,
    interactiveQueue,
    store,
    submissions: new SubmissionStore(redis, keys, { recordTtlSeconds: store.pendingTtlSeconds }),
    catalog,
    defaultModel: 'sim-gpt-fast',
    attempts: 3,
    budgets,
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
  const ends = await JobEndWatcher.start({
    subscriber: redis.duplicate(),
    connection: redis,
    keys,
  });
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
  const jobs = new InteractiveJobs({
    submitter,
    store,
    reader,
    ends,
    redis,
    keys,
    interactiveQueue,
    catalog,
    budgets,
    waitTimeoutMs: options.waitTimeoutMs ?? 5000,
    ...(options.keepAliveMs ? { keepAliveMs: options.keepAliveMs } : {}),
    cancelOnDisconnect: true,
    cache: options.cache,
    filterPolicies: security.filterPolicies,
  });
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
  // Read fresh in tests, so a test's PUT applies at once.
  const flows = new TenantFlowStore(redis, keys, { cacheTtlMs: 0 });
  const app = createApp({
    redis,
    queue,
    interactiveQueue,
    store,
    submitter,
    security,
    logger,
    bodyLimit: options.bodyLimit ?? '64kb',
    apiReferenceOpen: options.apiReferenceOpen ?? false,
    streaming: {
      jobs,
      reader,
      keys,
      responses:
        options.responses?.(redis, keys) ?? new ResponseStore(redis, keys, { ttlSeconds: 600 }),
    },
    webhooks: {
      endpoints: webhookEndpoints,
      deliveries: webhookDeliveries,
      queue: webhookQueue,
      policy: new AddressPolicy(),
      // No DNS here: every host resolves to one public address, so the SSRF check passes.
      resolve: async () => ['93.184.216.34'],
    },
    metrics: {
      registry: metrics,
      token: metricsToken,
      servedHere: true,
    },
    batchApi: {
      files,
      batches,
      batchStore,
      batchLimits,
      idempotency: new IdempotencyStore(redis, keys),
      messageBatches: new MessageBatchService({
        store: batchStore,
        files,
        controlQueue,
        catalog,
        limits: messageBatchLimitsOf(batchLimits),
      }),
    },
    cachePolicies: new CachePolicyStore(redis, keys, {
      defaults: {
        ttlSeconds: 3600,
        semanticThreshold: 0.95,
        semanticMaxEntries: 1000,
        semanticMultiTurn: false,
      },
      cacheTtlMs: 0,
    }),
    ...(options.requestsPerMinute === undefined
      ? {}
      : {
          rateLimits: {
            limiter: new GatewayRateLimiter(redis, keys),
            defaultRequestsPerMinute: options.requestsPerMinute,
          },
        }),
    keyLimits: {
      limiter: new GatewayRateLimiter(redis, keys),
      concurrency: new KeyConcurrencyLimiter(redis, keys),
    },
    catalog,
    cost: { keys, catalog, defaultModel: 'sim-gpt-fast', budgets },
    flow: { flows, throughput: new LaneThroughput(redis, keys) },
  });
  return {
    flows,
    app,
    keys,
    redis,
    queue,
    interactiveQueue,
    store,
    webhookQueue,
    webhookEndpoints,
    webhookDeliveries,
    security,
    logger,
    logLines,
    catalog,
    budgets,
    metrics,
    batchStore,
    /** The `batch-control` queue (ingest, finalise, expire) both batch services add to. */
    controlQueue,
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
      await ends.close();
      await security.close();
      await Promise.all([
        queue.close(),
        interactiveQueue.close(),
        webhookQueue.close(),
        controlQueue.close(),
      ]);
      await cleanupPrefix(redis, keys.prefix);
      await Promise.all([redis.quit(), eventsConnection.quit()]);
    },
  };
}
