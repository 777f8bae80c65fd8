import {
  BatchAcceptRepair,
  BatchEndRepair,
  BatchedModelCalls,
  BatchFinalizer,
  BatchIngester,
  type BatchLimits,
  BatchStore,
  BatchTurnarounds,
  type BudgetStore,
  type CallGateFactory,
  type CircuitBreaker,
  type CostLedger,
  createQueue,
  type DeploymentChooser,
  type FairPriority,
  type FilterPolicyStore,
  type LlmqMetrics,
  type Logger,
  type ModelCatalog,
  type ProviderBatchClient,
  ProviderBatchStore,
  type ProviderRegistry,
  RedisFileStorage,
  type RedisKeys,
  type RequestExecutor,
  type RetryPolicy,
  SubmissionSweeper,
} from '@llmq/core';
import type { Tracer } from '@opentelemetry/api';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ProviderBatchJobs } from '../provider-batches/provider-batch-jobs';
import { ProviderLineSettler } from '../provider-batches/settle-provider-line';
import { createBatchLinePipeline } from './batch-line-pipeline';
import { type RunningBatchWorkers, startBatchWorkers } from './batch-workers';
import { createEndpointLinePipeline, isEndpointLine } from './endpoint-line-pipeline';
import { notRunOutcomeLabel } from './finish-batch-line';
import { recordBatchedCall } from './record-batched-call';
import { createStopReasonCache } from './stop-reason-cache';

export interface BatchProcessingOptions {
  /** Tenants' filter policies, applied to each chat line's prompt and answer. */
  filterPolicies?: FilterPolicyStore;
  connection: Redis;
  keys: RedisKeys;
  catalog: ModelCatalog;
  /** The provider stage prompt jobs use (routing chain, retries, breakers), shared. */
  execute: RequestExecutor;
  /**
   * Embeddings and completions lines: their adapters, the circuit breakers and the retry
   * policy shared with chat calls (see `BatchedModelCalls`).
   */
  providers: Pick<ProviderRegistry, 'get'>;
  breaker?: CircuitBreaker;
  /** Provider RPM/TPM limits shared with chat calls; each batched call reserves once. */
  limiter?: CallGateFactory;
  /** Each batched call's deployment, by the model's pick (shared with chat calls). */
  chooser?: DeploymentChooser;
  policy: RetryPolicy;
  logger: Logger;
  tracer?: Tracer;
  metrics?: LlmqMetrics;
  defaultModel: string;
  attempts: number;
  limits: BatchLimits;
  fileTtlSeconds: number;
  lineConcurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  /** Tenant-fair priorities for the bulk lane's lines (env `LANE_FAIRNESS`). */
  fair?: FairPriority;
  /** Wraps the line processor (the lane balancer counts and watches the lane's jobs). */
  trackLines?: (
    processor: (job: Job, token?: string) => Promise<void>,
  ) => (job: Job, token?: string) => Promise<void>;
  /** Budgets: a batch reserves its worst-case cost at ingest; released when it finishes. */
  budgets?: BudgetStore;
  /** The cost ledger each line's billed calls are written to. */
  ledger?: CostLedger;
  /**
   * Provider batch APIs by account id: lines on the batch tier go to them. Absent or empty: no
   * line takes the batch tier.
   */
  batchClients?: ReadonlyMap<string, ProviderBatchClient>;
  /** Time between two polls of a provider batch, ms (env `PROVIDER_BATCH_POLL_MS`). */
  providerBatchPollMs: number;
  /**
   * The batch sweeper: created batches whose ingest and expiry jobs a crash lost are queued
   * again (env `SUBMISSION_SWEEP_INTERVAL_MS` and `SUBMISSION_SWEEP_GRACE_MS`, as for jobs).
   */
  acceptSweep: { intervalMs: number; graceMs: number };
}

/** Wires the batch side of a worker process: ingest, run lines (bulk lane), finalise, expire. */
export async function startBatchProcessing(
  options: BatchProcessingOptions,
): Promise<RunningBatchWorkers> {
  const { connection, keys, catalog, logger } = options;
  const batches = new BatchStore(connection, keys, { ttlSeconds: options.fileTtlSeconds });
  const files = new RedisFileStorage(connection, keys, { ttlSeconds: options.fileTtlSeconds });
  options.metrics?.watchBatches(batches);
  const controlQueue = createQueue('batch-ingest', connection, keys);
  const lineQueue = createQueue('batch-line', connection, keys);
  const { calls, linePipeline } = createLinePipeline(options, batches, controlQueue);
  const providerBatchStore = new ProviderBatchStore(connection, keys, {
    ttlSeconds: options.fileTtlSeconds,
  });
  const batchClients = options.batchClients ?? new Map<string, ProviderBatchClient>();
  const turnarounds = new BatchTurnarounds(connection, keys);
  const providerBatches = new ProviderBatchJobs({
    store: providerBatchStore,
    batches,
    clients: batchClients,
    catalog,
    controlQueue,
    pollIntervalMs: options.providerBatchPollMs,
    filterPolicies: options.filterPolicies,
    turnarounds,
    logger,
    settler: new ProviderLineSettler({
      batches,
      controlQueue,
      metrics: options.metrics,
      catalog,
      lineQueue,
      attempts: options.attempts,
      filterPolicies: options.filterPolicies,
      ledger: options.ledger,
    }),
  });
  const ingester = new BatchIngester({
    store: batches,
    files,
    lineQueue,
    controlQueue,
    catalog,
    defaultModel: options.defaultModel,
    attempts: options.attempts,
    limits: options.limits,
    fair: options.fair,
    budgets: options.budgets,
    providerBatches: {
      store: providerBatchStore,
      providers: new Set(batchClients.keys()),
      turnarounds,
    },
  });
  const running = await startBatchWorkers({
    connection,
    keys,
    batches,
    controlQueue,
    lineQueue,
    logger,
    metrics: options.metrics,
    ingester,
    providerBatches,
    finalizer: new BatchFinalizer({
      store: batches,
      files,
      lineQueue,
      // What the lines did not use of the batch's reservation is freed with its end.
      onFinished: (batch) => options.budgets?.release(batch.tenant, batch.id),
    }),
    linePipeline: options.trackLines ? options.trackLines(linePipeline) : linePipeline,
    lineConcurrency: options.lineConcurrency,
    lockDurationMs: options.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
  });
  const sweeper = startBatchSweeper(options, batches, controlQueue);
  const endSweeper = startBatchEndSweeper(options, batches, controlQueue, ingester);
  return {
    lineWorker: running.lineWorker,
    async close(timeoutMs) {
      await Promise.all([sweeper.stop(), endSweeper.stop()]);
      const outcome = await running.close(timeoutMs);
      await calls.drain();
      await Promise.all([controlQueue.close(), lineQueue.close()]);
      return outcome;
    },
  };
}

/** Created batches whose ingest and expiry jobs a crash lost (mid-create) are queued again. */
function startBatchSweeper(
  options: BatchProcessingOptions,
  batches: BatchStore,
  controlQueue: Queue,
) {
  const { connection, keys, logger, metrics, acceptSweep } = options;
  const sweeper = new SubmissionSweeper({
    redis: connection,
    keys,
    lease: keys.batchSweepLease(),
    repair: new BatchAcceptRepair(batches.pending, controlQueue),
    intervalMs: acceptSweep.intervalMs,
    graceMs: acceptSweep.graceMs,
    onRepair: (tally) => {
      metrics?.batchesRequeued.inc(tally.requeued);
      logger.warn('batch-requeued', { event: 'batch-requeued', ...tally });
    },
  });
  sweeper.start();
  return sweeper;
}

/**
 * Batches stuck because the control job their end waited on was lost (a crash or a Redis
 * error right after the script that moved them, a job that failed its last attempt) are ended:
 * their finalisation queued again, or their stopped ingest failed (see `BatchEndRepair`).
 */
function startBatchEndSweeper(
  options: BatchProcessingOptions,
  batches: BatchStore,
  controlQueue: Queue,
  ingester: BatchIngester,
) {
  const { connection, keys, logger, metrics, acceptSweep } = options;
  const repair = new BatchEndRepair({
    store: batches,
    controlQueue,
    ingester,
    onRecovered: ({ batchId, action, jobState, linesNotRun, stopReason }) => {
      metrics?.batchEndsRecovered.inc({ action });
      if (linesNotRun > 0 && stopReason)
        metrics?.batchRequests.inc({ outcome: notRunOutcomeLabel(stopReason) }, linesNotRun);
      logger.warn('batch-end-recovered', {
        event: 'batch-end-recovered',
        batch_id: batchId,
        action,
        job_state: jobState,
        lines_not_run: linesNotRun,
      });
    },
  });
  const sweeper = new SubmissionSweeper({
    redis: connection,
    keys,
    lease: keys.batchEndSweepLease(),
    repair,
    intervalMs: acceptSweep.intervalMs,
    graceMs: acceptSweep.graceMs,
  });
  sweeper.start();
  return sweeper;
}

/**
 * The bulk lane's processor: chat lines through the provider stage shared with prompt jobs,
 * embeddings and completions lines through this process's micro-batched calls.
 */
function createLinePipeline(
  options: BatchProcessingOptions,
  batches: BatchStore,
  controlQueue: Queue,
) {
  const { providers, logger } = options;
  const lineOptions = { ...options, batches, controlQueue };
  const stopReasonOf = createStopReasonCache(batches);
  const chatLines = createBatchLinePipeline({ ...lineOptions, stopReasonOf });
  // Per worker process: lines of one model gather here into shared provider calls, each call
  // sent to the deployment the model's pick chooses.
  const calls = new BatchedModelCalls({
    embeddingModel: (_entry, deployment) =>
      providers.get(deployment.account)?.embeddingModel?.(deployment.upstream_model),
    completionModel: (_entry, deployment) =>
      providers.get(deployment.account)?.completionModel?.(deployment.upstream_model),
    breaker: options.breaker,
    limiter: options.limiter,
    chooser: options.chooser,
    policy: options.policy,
    onCall: (report) => recordBatchedCall(options.metrics, logger, report),
    tracer: options.tracer,
  });
  const endpointLines = createEndpointLinePipeline({ ...lineOptions, calls, stopReasonOf });
  const linePipeline = (job: Job, token?: string) =>
    isEndpointLine(job.data) ? endpointLines(job, token) : chatLines(job, token);
  return { calls, linePipeline };
}
