import { createServer } from 'node:http';
import {
  AddressPolicy,
  accountMaxTokensDefaults,
  asCacheHit,
  BatchService,
  BatchStore,
  BudgetStore,
  CachePolicyStore,
  CostLedger,
  catchShutdownSignals,
  checkWebhookUrl,
  coalesceWrites,
  createLogger,
  createMetrics,
  createQueue,
  createRedisConnection,
  createTracing,
  defaultProviderAccounts,
  ExactCache,
  FairPriority,
  GatewayRateLimiter,
  IdempotencyStore,
  JobEndWatcher,
  JobEventReader,
  JobStore,
  JobSubmitter,
  KeyConcurrencyLimiter,
  LaneThroughput,
  ledgerLineFromCacheHit,
  loadModelCatalog,
  logRedisStateChanges,
  MessageBatchService,
  messageBatchLimitsOf,
  RedisFileStorage,
  RedisKeys,
  ResponseStore,
  SubmissionStore,
  TenantFlowStore,
  toBatchLimits,
  toBudgetDefaults,
  toCacheDefaults,
  toProviderSettings,
  WebhookDeliveryStore,
  WebhookEndpointStore,
  watchRedisConnection,
} from '@llmq/core';

import { createApp } from './app';
import { type ApiEnv, apiReferenceOpen, loadApiEnv, readDeploymentKeys } from './env';
import { ApiKeyRegistry, devApiKey } from './http/api-keys';
import { createApiSecurity } from './http/api-security';
import { answerClientErrorsWithJson } from './http/client-errors';
import { InlineRunner } from './interactive/inline-runner';
import { InteractiveJobs } from './interactive/interactive-jobs';
import { streamedRequestCheck } from './interactive/streamed-request-check';
import { startMetricsServer } from './observability/metrics-server';

function apiKeysFrom(env: ApiEnv, warn: (message: string) => void): ApiKeyRegistry {
  if (env.API_KEYS) return ApiKeyRegistry.parse(env.API_KEYS);
  if (env.NODE_ENV === 'production') {
    // Production without static keys: only keys issued through the admin API work.
    if (env.ADMIN_API_KEY) return new ApiKeyRegistry([]);
    throw new Error('API_KEYS or ADMIN_API_KEY: one is required when NODE_ENV=production');
  }
  warn(`API_KEYS is not set: accepting the development key "${devApiKey}" for tenant "dev"`);
  return new ApiKeyRegistry([{ tenant: 'dev', key: devApiKey }]);
}

async function main(): Promise<void> {
  const signals = catchShutdownSignals();
  const env = loadApiEnv();
  // A bad catalog stops the API here, naming the file and the offending entry.
  const accounts = defaultProviderAccounts(toProviderSettings(env));
  const catalog = loadModelCatalog(env.MODEL_CATALOG_PATH, {
    availableProviders: accounts.map((account) => account.id),
    maxTokensDefaults: accountMaxTokensDefaults(accounts),
  });
  const logger = createLogger({ service: 'api', level: env.LOG_LEVEL });
  const keys = new RedisKeys(env.LLMQ_PREFIX);
  const redis = createRedisConnection({ url: env.REDIS_URL, role: 'client', name: 'llmq-api' });
  // One warning when Redis goes away and one when it is back, for this connection and every
  // duplicate of it (BullMQ's, the key-cache subscriber's), not one line per failed request.
  const redisStates = logRedisStateChanges(logger);
  watchRedisConnection(redis, 'api', redisStates);
  // The commands of the requests handled in one turn (the submit's script, BullMQ's add) leave
  // in one socket write instead of one system call each (see coalesced-writes.ts).
  coalesceWrites(redis);
  const queue = createQueue('prompt', redis, keys);
  const policy = new AddressPolicy(env.WEBHOOK_ALLOWED_HOSTS);
  const endpoints = new WebhookEndpointStore(redis, keys, {
    rotationWindowSeconds: env.WEBHOOK_SECRET_ROTATION_SECONDS,
  });
  const webhookQueue = createQueue('webhook-delivery', redis, keys);
  const interactiveQueue = createQueue('interactivePrompt', redis, keys);
  const store = new JobStore(redis, keys, {
    resultTtlSeconds: env.RESULT_TTL_SECONDS,
    events: { maxLength: env.JOB_EVENTS_MAX_LENGTH, ttlSeconds: env.JOB_EVENTS_TTL_SECONDS },
  });
  const metrics = createMetrics();
  const budgets = new BudgetStore(redis, keys, {
    defaults: toBudgetDefaults(env),
    reservationTtlSeconds: env.BUDGET_RESERVATION_TTL_SECONDS,
    cacheTtlMs: env.BUDGET_CACHE_MS,
    logger,
    metrics,
  });
  const ledger = new CostLedger(redis, keys, { retentionDays: env.USAGE_RETENTION_DAYS });
  // Tenants' lane weights and running-job caps (`/v1/admin/tenants/:tenant/flow`).
  const flows = new TenantFlowStore(redis, keys);
  const fair = env.LANE_FAIRNESS ? new FairPriority(redis, keys, undefined, flows) : undefined;
  const submitter = new JobSubmitter({
    queue,
    interactiveQueue,
    store,
    submissions: new SubmissionStore(redis, keys, { recordTtlSeconds: store.pendingTtlSeconds }),
    catalog,
    defaultModel: env.DEFAULT_MODEL,
    attempts: env.JOB_ATTEMPTS,
    webhooks: {
      checkUrl: (url) => checkWebhookUrl(url, policy),
    },
    ...(fair ? { fair } : {}),
    budgets,
  });
  // One blocking connection reads the event streams of every job a client waits on.
  const eventsConnection = createRedisConnection({
    url: env.REDIS_URL,
    role: 'client',
    name: 'llmq-api-events',
  });
  watchRedisConnection(eventsConnection, 'api-events', redisStates);
  const reader = new JobEventReader({
    blockingConnection: eventsConnection,
    controlConnection: redis,
    keys,
  });
  // Non-streamed sync requests wait for their job's end, announced on this process's channel.
  const ends = await JobEndWatcher.start({
    subscriber: redis.duplicate(),
    connection: redis,
    keys,
  });
  const staticKeys = apiKeysFrom(env, (message) =>
    logger.warn(message, { event: 'config-warning' }),
  );
  const security = await createApiSecurity({
    redis,
    keys,
    logger,
    staticKeys,
    bootstrapAdminKey: env.ADMIN_API_KEY,
    filterDefaults: env.FILTER_POLICY,
    filterPolicyCacheMs: env.FILTER_POLICY_CACHE_MS,
    apiKeyCacheMs: env.API_KEY_CACHE_MS,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS,
    auditMaxEntries: env.AUDIT_MAX_ENTRIES,
    adminSessionTtlSeconds: env.ADMIN_SESSION_TTL_SECONDS,
    corsOrigins: env.CORS_ORIGINS,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    secureCookie: env.ADMIN_COOKIE_SECURE,
  });
  const exactCache = new ExactCache(redis, keys, { ttlSeconds: env.CACHE_TTL_SECONDS });
  const cachePolicies = new CachePolicyStore(redis, keys, {
    defaults: toCacheDefaults(env),
    cacheTtlMs: env.CACHE_POLICY_CACHE_MS,
  });
  // The official SDKs time out after 10 minutes and retry: a longer wait queues the prompt again.
  if (env.SYNC_WAIT_TIMEOUT_MS >= officialSdkTimeoutMs)
    logger.warn(
      `SYNC_WAIT_TIMEOUT_MS (${env.SYNC_WAIT_TIMEOUT_MS}) is not below the official SDKs' default timeout (${officialSdkTimeoutMs} ms): their clients time out first and retry`,
      { event: 'config-warning' },
    );
  const tracing = createTracing({
    serviceName: env.OTEL_SERVICE_NAME ?? 'llmq-api',
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  // Sync jobs run here while the interactive lane has nothing waiting (INLINE_CONCURRENCY).
  const inline =
    env.INLINE_CONCURRENCY > 0
      ? new InlineRunner({
          concurrency: env.INLINE_CONCURRENCY,
          env,
          readDeploymentKeys,
          lockDurationMs: env.LOCK_DURATION_MS,
          logger,
          metrics,
          tracing,
          ...(fair ? { fair } : {}),
        })
      : undefined;
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
    waitTimeoutMs: env.SYNC_WAIT_TIMEOUT_MS,
    keepAliveMs: env.STREAM_KEEPALIVE_MS,
    checkStreamedRequest: streamedRequestCheck(catalog, accounts),
    ...(inline ? { inline } : {}),
    cancelOnDisconnect: env.CANCEL_ON_DISCONNECT,
    filterPolicies: security.filterPolicies,
    // Exact-cache hits on the sync endpoints are answered here, without a trip through the queue.
    cache: {
      async lookup({ tenant, model, request, options }) {
        // The tenant's cache policy: its TTL (0: off), or a shared namespace it opted into.
        const policy = await cachePolicies.effective(tenant, options);
        const hit = await exactCache.get(tenant, model, request, policy);
        if (!hit) return undefined;
        metrics.cacheHits.inc({ cache_type: 'exact' });
        const result = asCacheHit(hit, { queue_wait_ms: 0, provider_ms: 0, total_ms: 0 });
        await ledger.record(tenant, [ledgerLineFromCacheHit(model, result)]);
        return result;
      },
    },
  });
  const files = new RedisFileStorage(redis, keys, { ttlSeconds: env.FILE_TTL_SECONDS });
  const batchStore = new BatchStore(redis, keys, { ttlSeconds: env.FILE_TTL_SECONDS });
  const batchLimits = toBatchLimits(env);
  const controlQueue = createQueue('batch-ingest', redis, keys);
  const batches = new BatchService({ store: batchStore, files, controlQueue, limits: batchLimits });
  if (env.NODE_ENV === 'production' && env.METRICS_PORT === undefined && !env.METRICS_TOKEN)
    throw new Error('METRICS_TOKEN or METRICS_PORT: one is required when NODE_ENV=production');
  // The bulk lane is only read here (batch lines are enqueued by the worker's ingest job).
  const bulkCountsQueue = createQueue('batch-line', redis, keys);
  metrics.watchQueues(queue, interactiveQueue, bulkCountsQueue, webhookQueue);
  metrics.watchRedis(redis);
  metrics.watchBatches(batchStore);
  const gatewayLimiter = new GatewayRateLimiter(redis, keys);
  const app = createApp({
    redis,
    queue,
    interactiveQueue,
    store,
    submitter,
    security,
    logger,
    bodyLimit: env.BODY_LIMIT,
    apiReferenceOpen: apiReferenceOpen(env),
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
    webhooks: {
      endpoints,
      deliveries: new WebhookDeliveryStore(redis, keys, {
        ttlSeconds: env.WEBHOOK_LOG_TTL_SECONDS,
      }),
      queue: webhookQueue,
      policy,
    },
    tracer: tracing.tracer,
    metrics: {
      registry: metrics,
      token: env.METRICS_TOKEN,
      servedHere: env.METRICS_PORT === undefined,
    },
    streaming: {
      jobs,
      reader,
      keys,
      responses: new ResponseStore(redis, keys, { ttlSeconds: env.RESULT_TTL_SECONDS }),
    },
    cachePolicies,
    rateLimits: {
      limiter: gatewayLimiter,
      defaultRequestsPerMinute: env.RATE_LIMIT_REQUESTS_PER_MINUTE,
    },
    keyLimits: { limiter: gatewayLimiter, concurrency: new KeyConcurrencyLimiter(redis, keys) },
    catalog,
    cost: { keys, catalog, defaultModel: env.DEFAULT_MODEL, budgets },
    flow: { flows, throughput: new LaneThroughput(redis, keys) },
  });
  const metricsServer =
    env.METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer({
          metrics,
          token: env.METRICS_TOKEN,
          port: env.METRICS_PORT,
          host: env.HOST,
          logger,
        });

  const server = createServer({ maxHeaderSize: env.MAX_HEADER_BYTES }, app);
  answerClientErrorsWithJson(server);
  server.listen(env.PORT, env.HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.PORT;
    logger.info('api-start', { event: 'api-start', port, prefix: env.LLMQ_PREFIX });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = env.KEEP_ALIVE_TIMEOUT_MS;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('api-stop', { event: 'api-stop', signal });
    // Sync jobs running here get up to SHUTDOWN_TIMEOUT_MS to end and answer; any still running
    // then is left to its lock, which lapses, and a worker runs it again.
    const inlineTimeoutMs = inline ? env.SHUTDOWN_TIMEOUT_MS : 0;
    const forceExit = setTimeout(() => process.exit(1), 10_000 + inlineTimeoutMs);
    forceExit.unref();
    const inlineClosed = inline?.close(inlineTimeoutMs);
    // A request answered while stopping leaves its keep-alive connection idle, which would hold
    // `close` until the client lets go of it: idle connections are closed as they appear.
    const closeIdle = setInterval(() => server.closeIdleConnections(), 50);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearInterval(closeIdle);
    server.closeAllConnections();
    const inlineOutcome = await inlineClosed;
    if (inlineOutcome === 'forced')
      logger.warn('inline-jobs-left', {
        event: 'inline-jobs-left',
        detail: 'sync jobs still running here are left to their locks; a worker runs them again',
      });
    await security.close();
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    await tracing.shutdown().catch(() => undefined);
    await reader.close();
    await ends.close();
    await Promise.all([
      queue.close(),
      interactiveQueue.close(),
      webhookQueue.close(),
      bulkCountsQueue.close(),
      controlQueue.close(),
    ]);
    await eventsConnection.quit().catch(() => undefined);
    await redis.quit().catch(() => undefined);
    process.exit(0);
  };
  signals.onShutdown(stop);
}

/** The default request timeout of the official `openai` and `@anthropic-ai/sdk` clients, ms. */
const officialSdkTimeoutMs = 600_000;

main().catch((error: unknown) => {
  process.stderr.write(
    `llmq api failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
