import { type JobStore, jobCatalog, type Logger, logWorkerError, type RedisKeys } from '@llmq/core';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { createPromptPipeline } from './pipeline/prompt-pipeline';
import { closeWorkers, onStalledOut } from './worker-lifecycle';

export interface PromptWorkerOptions {
  connection: Redis;
  keys: RedisKeys;
  store: JobStore;
  logger: Logger;
  pipeline: ReturnType<typeof createPromptPipeline>;
  /** The queue to consume (default the standard lane, `jobCatalog.prompt.queue`). */
  queueName?: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

export interface RunningPromptWorker {
  worker: Worker;
  /** Stops taking jobs and waits for active ones up to `timeoutMs`, then closes anyway. */
  close(timeoutMs: number): Promise<'drained' | 'forced'>;
}

/**
 * The BullMQ worker for prompt jobs. A job whose worker dies is picked up again by any live
 * worker once its lock expires (stalled-job recovery); the job store makes sure its result is
 * written once.
 */
export async function startPromptWorker(
  options: PromptWorkerOptions,
): Promise<RunningPromptWorker> {
  const queueName = options.queueName ?? jobCatalog.prompt.queue;
  const worker = new Worker(queueName, options.pipeline, {
    connection: options.connection,
    prefix: options.keys.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
  });
  worker.on('error', logWorkerError(options.logger));
  worker.on('stalled', (jobId) =>
    options.logger.warn('job-stalled', { event: 'job-stalled', job_id: jobId }),
  );
  worker.on('failed', (job, error) => {
    // Our pipeline ends jobs itself; this catches attempts exhausted by unexpected errors.
    if (!job?.id || job.deferredFailure || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    void options.store
      .fail(job.id, { code: 'internal_error', message: error.message })
      .catch(() => undefined);
  });
  onStalledOut(worker, (job) => {
    if (!job.id) return;
    void options.store
      .fail(job.id, {
        code: 'worker_lost',
        message: 'the workers running this job stopped too many times',
      })
      .catch(() => undefined);
  });
  await worker.waitUntilReady();

  return {
    worker,
    async close(timeoutMs) {
      return closeWorkers([worker], timeoutMs);
    },
  };
}
