import {
  type BatchFinalizer,
  type BatchIngester,
  type BatchStore,
  batchControlJobDataSchema,
  batchLineIdentitySchema,
  failedBatchLine,
  type IngestFailureCause,
  type IngestOutcome,
  jobCatalog,
  type LlmqMetrics,
  type Logger,
  logWorkerError,
  providerBatchJobDataSchema,
  queueFinalize,
  type RedisKeys,
} from '@llmq/core';
import { type Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ProviderBatchJobs } from '../provider-batches/provider-batch-jobs';
import { closeWorkers, onStalledOut } from '../worker-lifecycle';
import { finishBatchLine, notRunOutcomeLabel } from './finish-batch-line';

export interface BatchWorkersOptions {
  connection: Redis;
  keys: RedisKeys;
  batches: BatchStore;
  ingester: BatchIngester;
  finalizer: BatchFinalizer;
  /** Submits and polls provider batches (`provider-batch-submit`, `provider-batch-poll`). */
  providerBatches: ProviderBatchJobs;
  controlQueue: Queue;
  /** The `prompts-bulk` queue, to read a stalled line's data. */
  lineQueue: Queue;
  /** Runs one bulk-lane job: a chat line, or an embeddings or completions line. */
  linePipeline: (job: Job, token?: string) => Promise<void>;
  logger: Logger;
  /** This process's metrics (`llm_batch_requests_total`); absent in tests that do not read them. */
  metrics?: LlmqMetrics;
  /** Batch lines one worker process runs at once (env `BULK_WORKER_CONCURRENCY`). */
  lineConcurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

export interface RunningBatchWorkers {
  /** The bulk lane's worker (the lane balancer sets its concurrency). */
  lineWorker: Worker;
  /** Stops taking work and waits for active jobs up to `timeoutMs`, then closes anyway. */
  close(timeoutMs: number): Promise<'drained' | 'forced'>;
}

/**
 * The bulk lane (`prompts-bulk`, batch lines) and the batch bookkeeping queue
 * (`batch-control`: ingest, finalise, expire), each its own BullMQ worker so the bulk lane
 * gets its own, smaller share of concurrency than standard prompt jobs.
 */
export async function startBatchWorkers(
  options: BatchWorkersOptions,
): Promise<RunningBatchWorkers> {
  const { connection, keys, logger } = options;
  const common = {
    connection,
    prefix: keys.prefix,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
  };
  const lineWorker = new Worker(jobCatalog['batch-line'].queue, options.linePipeline, {
    ...common,
    concurrency: options.lineConcurrency,
  });
  const controlWorker = new Worker(jobCatalog['batch-ingest'].queue, controlProcessor(options), {
    ...common,
    concurrency: 2,
  });
  for (const worker of [lineWorker, controlWorker]) {
    worker.on('error', logWorkerError(logger));
  }
  // A line whose attempts ran out on an unexpected error still ends, so the batch can end.
  const recordLost = (data: unknown, code: 'internal_error' | 'worker_lost', message: string) =>
    recordLostLine(options, data, code, message).catch(() => undefined);
  lineWorker.on('failed', (job, error) => {
    if (!job || job.deferredFailure || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    void recordLost(job.data, 'internal_error', error.message);
  });
  onStalledOut(lineWorker, (job) => {
    void recordLost(
      job.data,
      'worker_lost',
      'the workers running this request stopped too many times',
    );
  });
  // A provider batch job that stalled out would leave its provider batch unpolled: resume it.
  // An ingest that stalled out would leave its batch validating: it fails.
  onStalledOut(controlWorker, (job) => {
    if (job.name === 'batch-ingest') {
      void failIngest(options, job, { kind: 'stalled' });
      return;
    }
    void recoverProviderBatchJob(options.providerBatches, job).catch(() => undefined);
  });
  await Promise.all([lineWorker.waitUntilReady(), controlWorker.waitUntilReady()]);
  return {
    lineWorker,
    async close(timeoutMs) {
      return closeWorkers([lineWorker, controlWorker], timeoutMs);
    },
  };
}

/** Runs the batch bookkeeping jobs: ingest, finalise, expire, and provider batches. */
function controlProcessor(options: BatchWorkersOptions) {
  const { batches, controlQueue, logger } = options;
  return async (job: Job): Promise<void> => {
    if (job.name === 'provider-batch-submit' || job.name === 'provider-batch-poll')
      return providerBatchJob(options.providerBatches, job);
    const { batchId } = batchControlJobDataSchema.parse(job.data);
    switch (job.name) {
      case 'batch-ingest': {
        const outcome = await ingestOrFail(options, job, batchId);
        if (outcome === 'invalid') await controlQueue.remove(`expire-${batchId}`).catch(() => 0);
        logger.info('batch-ingest', { event: 'batch-ingest', batch_id: batchId, outcome });
        return;
      }
      case 'batch-finalize': {
        const status = await options.finalizer.finalize(batchId);
        await controlQueue.remove(`expire-${batchId}`).catch(() => 0);
        logger.info('batch-end', { event: 'batch-end', batch_id: batchId, status });
        return;
      }
      case 'batch-expire': {
        const expiry = await batches.expire(batchId);
        // Its lines were never queued, so no line will end it: it is finalised now.
        if (expiry === 'finalize') await queueFinalize(controlQueue, batchId);
        if (expiry !== 'ended')
          logger.info('batch-expire', { event: 'batch-expire', batch_id: batchId, expiry });
        return;
      }
      default:
        throw new Error(`unknown batch control job "${job.name}"`);
    }
  };
}

/**
 * Ingests a batch. When the job's last attempt fails (or the error is unrecoverable), the batch
 * fails, so it ends where a client sees it instead of validating forever; the job still fails,
 * for Bull Board and the logs.
 */
async function ingestOrFail(
  options: BatchWorkersOptions,
  job: Job,
  batchId: string,
): Promise<IngestOutcome> {
  try {
    return await options.ingester.ingest(batchId);
  } catch (error) {
    const attempts = job.opts.attempts ?? 1;
    const unrecoverable = error instanceof Error && error.name === 'UnrecoverableError';
    if (job.attemptsMade + 1 >= attempts || unrecoverable)
      await failIngest(
        options,
        job,
        unrecoverable ? { kind: 'unrecoverable' } : { kind: 'attempts', attempts },
        error,
      );
    throw error;
  }
}

/**
 * Fails a batch whose ingest gave up (see `BatchIngester.fail`) and drops its expiry job. The
 * batch reports a fixed message; the error itself is logged here only (see `ingestErrorFields`).
 */
async function failIngest(
  options: BatchWorkersOptions,
  job: Job,
  cause: IngestFailureCause,
  error?: unknown,
): Promise<void> {
  const parsed = batchControlJobDataSchema.safeParse(job.data);
  if (!parsed.success) return;
  const { batchId } = parsed.data;
  const fields = { event: 'batch-ingest-failed', batch_id: batchId, cause: cause.kind };
  try {
    const failure = await options.ingester.fail(batchId, cause);
    if (failure.outcome === 'ended') return;
    const notRun = failure.outcome === 'finalize' ? failure.notRun : 0;
    // Lines recorded as not run by the failure itself, never by a line's own end.
    if (failure.outcome === 'finalize' && notRun > 0)
      options.metrics?.batchRequests.inc(
        { outcome: notRunOutcomeLabel(failure.stopReason) },
        notRun,
      );
    options.logger.warn('batch-ingest-failed', {
      ...fields,
      lines_not_run: notRun,
      ...ingestErrorFields(error),
    });
  } catch (failError) {
    options.logger.error('batch-ingest-failed', {
      ...fields,
      ...ingestErrorFields(error),
      fail_error: failError instanceof Error ? failError.message : String(failError),
    });
  }
}

/** Longest error message a `batch-ingest-failed` line carries. */
const maxLoggedErrorLength = 300;

/**
 * What the log says of the error an ingest gave up on: its name and message, cut short. The
 * logger masks secrets in it; a `SyntaxError` (JSON.parse quotes the text it read, which may be
 * a prompt) is logged by name only.
 */
function ingestErrorFields(error: unknown): Record<string, string> {
  if (error === undefined) return {};
  if (!(error instanceof Error)) return { error: String(error).slice(0, maxLoggedErrorLength) };
  if (error instanceof SyntaxError) return { error_name: error.name };
  return { error_name: error.name, error: error.message.slice(0, maxLoggedErrorLength) };
}

/**
 * Submits or polls a provider batch. When its last attempt fails, llmq runs the lines itself
 * (a submit), or asks the provider again later (a poll: the provider keeps the batch).
 */
async function providerBatchJob(providerBatches: ProviderBatchJobs, job: Job): Promise<void> {
  const { providerBatchId, poll } = providerBatchJobDataSchema.parse(job.data);
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  try {
    if (job.name === 'provider-batch-submit') await providerBatches.submit(providerBatchId);
    else await providerBatches.poll(providerBatchId, poll);
  } catch (error) {
    if (!lastAttempt) throw error;
    if (job.name === 'provider-batch-submit') await providerBatches.runInstead(providerBatchId);
    else await providerBatches.pollLater(providerBatchId, poll);
  }
}

/** Resumes a provider batch whose submit or poll job BullMQ failed after too many stalls. */
async function recoverProviderBatchJob(
  providerBatches: ProviderBatchJobs,
  job: Job,
): Promise<void> {
  const parsed = providerBatchJobDataSchema.safeParse(job.data);
  if (!parsed.success) return;
  const { providerBatchId, poll } = parsed.data;
  if (job.name === 'provider-batch-submit') await providerBatches.recoverSubmit(providerBatchId);
  if (job.name === 'provider-batch-poll') await providerBatches.pollLater(providerBatchId, poll);
}

/** Ends a line that BullMQ gave up on (its error-file entry), so its batch can end. */
async function recordLostLine(
  options: BatchWorkersOptions,
  data: unknown,
  code: 'internal_error' | 'worker_lost',
  message: string,
): Promise<void> {
  const parsed = batchLineIdentitySchema.safeParse(data);
  if (!parsed.success) return;
  const line = parsed.data;
  await finishBatchLine(
    options,
    line,
    'failed',
    failedBatchLine(line.customId, `${line.batchId}-${line.index}`, { code, message }),
  );
}
