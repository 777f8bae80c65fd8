import {
  BudgetStore,
  CallJournal,
  CircuitBreaker,
  CostLedger,
  catchShutdownSignals,
  createLogger,
  createMetrics,
  createProviderRegistry,
  createQueue,
  createRedisConnection,
  createRequestExecutor,
  createTracing,
  defaultProviderAccounts,
  FairPriority,
  FilterPolicyStore,
  JobDeltaPublisher,
  JobStore,
  jobCatalog,
  loadModelCatalog,
  logRedisStateChanges,
  ProviderRateLimiter,
  RedisKeys,
  SubmissionRepair,
  SubmissionStore,
  SubmissionSweeper,
  toBatchLimits,
  toBudgetDefaults,
  toCircuitBreakerOptions,
  toProviderSettings,
  toRateLimiterOptions,
  toRetryPolicy,
  watchRedisConnection,
} from '@llmq/core';
import { startBatchProcessing } from './batches/start-batch-processing';
import { loadWorkerEnv } from './env';
import { LaneBalancer } from './lanes/lane-balancer';
import { startWorkerMetricsServer } from './observability/metrics-server';
import { closingCallJournal } from './pipeline/interrupted-calls';
import { createPromptPipeline } from './pipeline/prompt-pipeline';
import { rateLimitTelemetry } from './pipeline/rate-limit-telemetry';
import { responseCachesFromEnv } from './pipeline/response-caches-from-env';
import { startPromptWorker } from './prompt-worker';
import { startWebhooks } from './webhooks/start-webhooks';

async function main(): Promise<void> {
  const signals = catchShutdownSignals();
  const env = loadWorkerEnv();
  const logger = createLogger({ service: 'worker', level: env.LOG_LEVEL });
  const keys = new RedisKeys(env.LLMQ_PREFIX);
  const connection = createRedisConnection({
    url: env.REDIS_URL,
    role: 'worker',
    name: 'llmq-worker',
  });
  // One warning when Redis goes away and one when it is back, for this connection and every
  // duplicate of it (BullMQ's blocking ones, the event readers'), not one per failed command.
  watchRedisConnection(connection, 'worker', logRedisStateChanges(logger));
  const eventLimits = {
    maxLength: env.JOB_EVENTS_MAX_LENGTH,
    ttlSeconds: env.JOB_EVENTS_TTL_SECONDS,
  };
  const store = new JobStore(connection, keys, {
    resultTtlSeconds: env.RESULT_TTL_SECONDS,
    events: eventLimits,
  });
  const settings = toProviderSettings(env);
  const metrics = createMetrics();
  // The queue handle only reads job counts for llm_queue_length at scrape time.
  const countsQueue = createQueue('prompt', connection, keys);
  const interactiveCountsQueue = createQueue('interactivePrompt', connection, keys);
  const bulkCountsQueue = createQueue('batch-line', connection, keys);
  metrics.watchQueues(countsQueue, interactiveCountsQueue, bulkCountsQueue);
  const tracing = createTracing({
    serviceName: env.OTEL_SERVICE_NAME ?? 'llmq-worker',
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const accounts = defaultProviderAccounts(settings);
  // A bad catalog stops the worker here, naming the file and the offending entry.
  const catalog = loadModelCatalog(env.MODEL_CATALOG_PATH, {
    availableProviders: accounts.map((account) => account.id),
  });
  const providers = createProviderRegistry(accounts);
  const breaker = new CircuitBreaker(
    connection,
    keys,
    toCircuitBreakerOptions(env),
    (change) =>
      logger.warn(`circuit-${change.to.replace('_', '-')}`, {
        event: `circuit-${change.to.replace('_', '-')}`,
        provider: change.provider,
        model: change.model,
        from: change.from,
      }),
    (error) =>
      logger.warn('circuit-record-error', {
        event: 'circuit-record-error',
        error: error instanceof Error ? error.message : String(error),
      }),
  );
  metrics.watchCircuits(breaker);
  const filterPolicies = new FilterPolicyStore(connection, keys, {
    defaults: env.FILTER_POLICY,
    cacheTtlMs: env.FILTER_POLICY_CACHE_MS,
  });
  // Provider RPM/TPM limits and 429 pauses, shared with every other worker through Redis.
  const limiter = new ProviderRateLimiter(
    connection,
    keys,
    catalog,
    toRateLimiterOptions(env),
    rateLimitTelemetry(logger, metrics),
  );
  // One provider stage for prompt jobs and batch lines: same chains, retries and breakers.
  const execute = createRequestExecutor({
    catalog,
    breaker,
    limiter,
    policy: toRetryPolicy(env),
    resolveModel: (entry) =>
      providers.has(entry.provider)
        ? providers.languageModel(entry.provider, entry.upstream_model)
        : undefined,
  });
  const ledger = new CostLedger(connection, keys, { retentionDays: env.USAGE_RETENTION_DAYS });
  const budgets = new BudgetStore(connection, keys, {
    defaults: toBudgetDefaults(env),
    reservationTtlSeconds: env.BUDGET_RESERVATION_TTL_SECONDS,
    logger,
    metrics,
  });
  // Provider calls are recorded before they are made, so a call a crash cuts off is counted.
  const journal = new CallJournal(connection, keys);
  const pipeline = closingCallJournal(
    createPromptPipeline({
      store,
      filterPolicies,
      catalog,
      logger,
      tracer: tracing.tracer,
      metrics,
      execute,
      openDeltaPublisher: (jobId) => new JobDeltaPublisher(connection, keys, jobId, eventLimits),
      caches: responseCachesFromEnv({ env, connection, keys, providers, logger }),
      ledger,
      journal,
    }),
    journal,
    (models) => {
      for (const model of models) metrics.providerCallsReexecuted.inc({ model });
    },
    (error) =>
      logger.warn('call-journal-error', {
        event: 'call-journal-error',
        error: error instanceof Error ? error.message : String(error),
      }),
  );
  // Lanes: tenant-fair priorities inside each lane, and idle lanes lending their concurrency.
  const fair = env.LANE_FAIRNESS
    ? new FairPriority(connection, keys, (error) =>
        logger.warn('fair-clock-failed', {
          event: 'fair-clock-failed',
          error: error instanceof Error ? error.message : String(error),
        }),
      )
    : undefined;
  const lanes = new LaneBalancer({
    lanes: [
      { queue: countsQueue, share: env.WORKER_CONCURRENCY },
      { queue: interactiveCountsQueue, share: env.INTERACTIVE_CONCURRENCY },
      { queue: bulkCountsQueue, share: env.BULK_WORKER_CONCURRENCY },
    ],
    intervalMs: env.LANE_BALANCE_INTERVAL_MS,
    lending: env.LANE_LENDING,
    onJobStart: (queueName, job) => fair?.started(queueName, job.opts.priority),
    logger,
  });
  const workerOptions = {
    connection,
    keys,
    store,
    logger,
    pipeline,
    lockDurationMs: env.LOCK_DURATION_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS ?? env.LOCK_DURATION_MS,
    maxStalledCount: env.MAX_STALLED_COUNT,
  };
  const running = await startPromptWorker({
    ...workerOptions,
    pipeline: lanes.track(jobCatalog.prompt.queue, pipeline),
    concurrency: env.WORKER_CONCURRENCY,
  });
  // The interactive lane has its own workers, so sync and streamed requests never wait
  // behind async jobs.
  const interactive = await startPromptWorker({
    ...workerOptions,
    pipeline: lanes.track(jobCatalog.interactivePrompt.queue, pipeline),
    queueName: jobCatalog.interactivePrompt.queue,
    concurrency: env.INTERACTIVE_CONCURRENCY,
  });
  const batchProcessing = await startBatchProcessing({
    filterPolicies,
    connection,
    keys,
    catalog,
    execute,
    providers,
    breaker,
    limiter,
    policy: toRetryPolicy(env),
    budgets,
    ledger,
    logger,
    tracer: tracing.tracer,
    metrics,
    defaultModel: env.DEFAULT_MODEL,
    attempts: env.JOB_ATTEMPTS,
    limits: toBatchLimits(env),
    fileTtlSeconds: env.FILE_TTL_SECONDS,
    lineConcurrency: env.BULK_WORKER_CONCURRENCY,
    lockDurationMs: env.LOCK_DURATION_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS ?? env.LOCK_DURATION_MS,
    maxStalledCount: env.MAX_STALLED_COUNT,
    fair,
    trackLines: (processor) => lanes.track(jobCatalog['batch-line'].queue, processor),
  });
  lanes.attach(jobCatalog.prompt.queue, running.worker);
  lanes.attach(jobCatalog.interactivePrompt.queue, interactive.worker);
  lanes.attach(jobCatalog['batch-line'].queue, batchProcessing.lineWorker);
  lanes.start();
  // Accepted jobs whose queue entry a Redis crash lost (mid-submit) are enqueued again.
  const submissionSweeper = new SubmissionSweeper({
    redis: connection,
    keys,
    repair: new SubmissionRepair(
      new SubmissionStore(connection, keys, { recordTtlSeconds: store.pendingTtlSeconds }),
      { standard: countsQueue, interactive: interactiveCountsQueue },
    ),
    intervalMs: env.SUBMISSION_SWEEP_INTERVAL_MS,
    graceMs: env.SUBMISSION_SWEEP_GRACE_MS,
    onRepair: (tally) => {
      metrics.submissionsRequeued.inc(tally.requeued);
      logger.warn('submission-requeued', { event: 'submission-requeued', ...tally });
    },
  });
  submissionSweeper.start();
  const webhooks = await startWebhooks({ env, connection, keys, store, logger });
  webhooks.metrics.on('attempt', ({ outcome }) =>
    metrics.webhookDeliveries.inc({ outcome: outcome === 'succeeded' ? 'success' : 'failure' }),
  );
  const metricsServer = await startWorkerMetricsServer({
    metrics,
    port: env.WORKER_METRICS_PORT,
    host: env.WORKER_METRICS_HOST,
    token: env.METRICS_TOKEN,
    logger,
  });
  logger.info('worker-start', {
    event: 'worker-start',
    concurrency: env.WORKER_CONCURRENCY,
    lanes: lanes.concurrency(),
    lane_lending: env.LANE_LENDING,
    lane_fairness: env.LANE_FAIRNESS,
    prefix: env.LLMQ_PREFIX,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('worker-stop', { event: 'worker-stop', signal });
    await lanes.stop();
    await submissionSweeper.stop();
    const [outcome] = await Promise.all([
      running.close(env.SHUTDOWN_TIMEOUT_MS),
      batchProcessing.close(env.SHUTDOWN_TIMEOUT_MS),
      webhooks.close(env.SHUTDOWN_TIMEOUT_MS),
      interactive.close(env.SHUTDOWN_TIMEOUT_MS),
    ]);
    await providers.close();
    metricsServer.close();
    metricsServer.closeAllConnections();
    await Promise.all([
      countsQueue.close(),
      interactiveCountsQueue.close(),
      bulkCountsQueue.close(),
    ]);
    await tracing.shutdown().catch(() => undefined);
    await connection.quit().catch(() => undefined);
    logger.info('worker-exit', { event: 'worker-exit', outcome });
    process.exit(0);
  };
  signals.onShutdown(stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `llmq worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
