import {
  BatchFinalizer,
  BatchIngester,
  type BatchLimits,
  BatchStore,
  createQueue,
  type FairPriority,
  type LlmqMetrics,
  type Logger,
  type ModelCatalog,
  RedisFileStorage,
  type RedisKeys,
  type RequestExecutor,
} from '@llmq/core';
import type { Tracer } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createBatchLinePipeline } from './batch-line-pipeline';
import { type RunningBatchWorkers, startBatchWorkers } from './batch-workers';

export interface BatchProcessingOptions {
  connection: Redis;
  keys: RedisKeys;
  catalog: ModelCatalog;
  /** The provider stage prompt jobs use (routing chain, retries, breakers), shared. */
  execute: RequestExecutor;
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
  const linePipeline = createBatchLinePipeline({
    batches,
    catalog,
    execute: options.execute,
    controlQueue,
    logger,
    tracer: options.tracer,
    metrics: options.metrics,
  });
  const running = await startBatchWorkers({
    connection,
    keys,
    batches,
    controlQueue,
    lineQueue,
    logger,
    metrics: options.metrics,
    ingester: new BatchIngester({
      store: batches,
      files,
      lineQueue,
      controlQueue,
      catalog,
      defaultModel: options.defaultModel,
      attempts: options.attempts,
      limits: options.limits,
      fair: options.fair,
    }),
    finalizer: new BatchFinalizer({ store: batches, files }),
    linePipeline: options.trackLines ? options.trackLines(linePipeline) : linePipeline,
    lineConcurrency: options.lineConcurrency,
    lockDurationMs: options.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
  });
  return {
    lineWorker: running.lineWorker,
    async close(timeoutMs) {
      const outcome = await running.close(timeoutMs);
      await Promise.all([controlQueue.close(), lineQueue.close()]);
      return outcome;
    },
  };
}
