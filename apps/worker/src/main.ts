// First, before the rest loads: V8's heap settings (see heap-tuning.ts).
import './heap-tuning';
import {
  BatchedModelCalls,
  catchShutdownSignals,
  createLogger,
  jobCatalog,
  type LaneThroughput,
  type Logger,
  SubmissionRepair,
  SubmissionStore,
  SubmissionSweeper,
  toBatchLimits,
  toRetryPolicy,
} from '@llmq/core';
import { createPromptJobProcessor, createRunnerServices, type RunnerServices } from '@llmq/runner';
import { recordBatchedCall } from './batches/record-batched-call';
import { startBatchProcessing } from './batches/start-batch-processing';
import { createEndpointJobPipeline } from './endpoints/endpoint-job-pipeline';
import { loadWorkerEnv, readDeploymentKeys, type WorkerEnv } from './env';
import { releaseStartupHeap } from './heap-tuning';
import { createLanes } from './lanes/create-lanes';
import type { LaneBalancer } from './lanes/lane-balancer';
import { startWorkerMetricsServer } from './observability/metrics-server';
import { startPromptWorker } from './prompt-worker';
import { startWebhooks } from './webhooks/start-webhooks';

async function main(): Promise<void> {
  const signals = catchShutdownSignals();
  const env = loadWorkerEnv();
  const logger = createLogger({ service: 'worker', level: env.LOG_LEVEL });
  const services = createRunnerServices(env, logger, readDeploymentKeys);
  const { connection, keys, store, metrics } = services;
  const { lanes, fair, throughput } = createLanes(services, env, logger);
  const prompts = await startPromptLanes(services, env, logger, lanes, throughput);
  const batchProcessing = await startBatchProcessing({
    ...services,
    policy: toRetryPolicy(env),
    logger,
    tracer: services.tracing.tracer,
    defaultModel: env.DEFAULT_MODEL,
    attempts: env.JOB_ATTEMPTS,
    limits: toBatchLimits(env),
    fileTtlSeconds: env.FILE_TTL_SECONDS,
    providerBatchPollMs: env.PROVIDER_BATCH_POLL_MS,
    acceptSweep: {
      intervalMs: env.SUBMISSION_SWEEP_INTERVAL_MS,
      graceMs: env.SUBMISSION_SWEEP_GRACE_MS,
    },
    lineConcurrency: env.BULK_WORKER_CONCURRENCY,
    lockDurationMs: env.LOCK_DURATION_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS ?? env.LOCK_DURATION_MS,
    maxStalledCount: env.MAX_STALLED_COUNT,
    fair,
    trackLines: (processor) => lanes.track(jobCatalog['batch-line'].queue, processor),
  });
  lanes.attach(jobCatalog['batch-line'].queue, batchProcessing.lineWorker);
  lanes.start();
  const submissionSweeper = startSubmissionSweeper(services, env, logger);
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
  releaseStartupHeap();
  let stopping = false;
  signals.onShutdown(async (signal) => {
    if (stopping) return;
    stopping = true;
    logger.info('worker-stop', { event: 'worker-stop', signal });
    exitIfStuck(logger, env.SHUTDOWN_TIMEOUT_MS + shutdownFinishMs);
    await lanes.stop();
    await submissionSweeper.stop();
    const timeout = env.SHUTDOWN_TIMEOUT_MS;
    const [outcome] = await Promise.all([
      prompts.running.close(timeout),
      batchProcessing.close(timeout),
      webhooks.close(timeout),
      prompts.interactive.close(timeout),
    ]);
    await prompts.endpointCalls.drain();
    metricsServer.close();
    metricsServer.closeAllConnections();
    await closeServices(services);
    logger.info('worker-exit', { event: 'worker-exit', outcome });
    process.exit(0);
  });
}

/**
 * How long a stop may take past its drain's `SHUTDOWN_TIMEOUT_MS` to close the rest (providers,
 * queues, tracing, Redis), ms; under the 45 s stop grace of infra/ with the default 30 s drain.
 */
const shutdownFinishMs = 5_000;

/**
 * Ends the process with code 1 if its stop has not finished after `afterMs`. A stop that cannot
 * finish must not hang until SIGKILL (no last log line, no `--cpu-prof` profile): with Redis
 * gone, BullMQ's `close()` waits for a `QUIT` that is never answered, and its forced close
 * returns that same wait, so the drain's timeout alone did not end it.
 */
function exitIfStuck(logger: Logger, afterMs: number): void {
  setTimeout(() => {
    logger.warn('worker-exit', { event: 'worker-exit', outcome: 'stuck', after_ms: afterMs });
    process.exit(1);
  }, afterMs).unref();
}

/**
 * The prompt pipeline's workers: the async lane, and the interactive lane with its own
 * workers, so sync and streamed requests never wait behind async jobs.
 */
async function startPromptLanes(
  services: RunnerServices,
  env: WorkerEnv,
  logger: Logger,
  lanes: LaneBalancer,
  throughput: LaneThroughput,
) {
  const { connection, keys, store, providers } = services;
  const pipeline = createPromptJobProcessor({ services, env, logger, throughput });
  const workerOptions = {
    connection,
    keys,
    store,
    logger,
    lockDurationMs: env.LOCK_DURATION_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS ?? env.LOCK_DURATION_MS,
    maxStalledCount: env.MAX_STALLED_COUNT,
  };
  const running = await startPromptWorker({
    ...workerOptions,
    pipeline: lanes.track(jobCatalog.prompt.queue, pipeline),
    concurrency: env.WORKER_CONCURRENCY,
  });
  // Sync embeddings and completions requests share micro-batched calls per model, in this
  // process, apart from the bulk lane's (a batch's lines never delay a waiting client).
  const policy = toRetryPolicy(env);
  const endpointCalls = new BatchedModelCalls({
    embeddingModel: (_entry, deployment) =>
      providers.get(deployment.account)?.embeddingModel?.(deployment.upstream_model),
    completionModel: (_entry, deployment) =>
      providers.get(deployment.account)?.completionModel?.(deployment.upstream_model),
    breaker: services.breaker,
    limiter: services.limiter,
    chooser: services.chooser,
    policy,
    onCall: (report) => recordBatchedCall(services.metrics, logger, report),
    tracer: services.tracing.tracer,
  });
  const endpointJobs = createEndpointJobPipeline({
    ...services,
    calls: endpointCalls,
    policy,
    logger,
    tracer: services.tracing.tracer,
  });
  const interactivePipeline: typeof pipeline = (job, token) =>
    job.name === 'interactiveEndpoint' ? endpointJobs(job, token) : pipeline(job, token);
  const interactive = await startPromptWorker({
    ...workerOptions,
    pipeline: lanes.track(jobCatalog.interactivePrompt.queue, interactivePipeline),
    queueName: jobCatalog.interactivePrompt.queue,
    concurrency: env.INTERACTIVE_CONCURRENCY,
  });
  lanes.attach(jobCatalog.prompt.queue, running.worker);
  lanes.attach(jobCatalog.interactivePrompt.queue, interactive.worker);
  return { running, interactive, endpointCalls };
}

/** Lets go of providers, queue handles, tracing and Redis, after the workers closed. */
async function closeServices(services: RunnerServices): Promise<void> {
  await services.providers.close();
  const { queues } = services;
  await Promise.all([queues.prompt.close(), queues.interactive.close(), queues.bulk.close()]);
  await services.tracing.shutdown().catch(() => undefined);
  // The circuits' batched successes, before the connection they go out on closes.
  await services.breaker.flushSuccesses();
  await services.connection.quit().catch(() => undefined);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `llmq worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

/** Accepted jobs whose queue entry a Redis crash lost (mid-submit) are enqueued again. */
function startSubmissionSweeper(services: RunnerServices, env: WorkerEnv, logger: Logger) {
  const { connection, keys, store, queues, metrics } = services;
  const sweeper = new SubmissionSweeper({
    redis: connection,
    keys,
    repair: new SubmissionRepair(
      new SubmissionStore(connection, keys, { recordTtlSeconds: store.pendingTtlSeconds }),
      { standard: queues.prompt, interactive: queues.interactive },
    ),
    intervalMs: env.SUBMISSION_SWEEP_INTERVAL_MS,
    graceMs: env.SUBMISSION_SWEEP_GRACE_MS,
    onRepair: (tally) => {
      metrics.submissionsRequeued.inc(tally.requeued);
      logger.warn('submission-requeued', { event: 'submission-requeued', ...tally });
    },
  });
  sweeper.start();
  return sweeper;
}
