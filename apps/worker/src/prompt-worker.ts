import { type JobStore, jobCatalog, type Logger, logWorkerError, type RedisKeys } from '@llmq/core';
import { QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { createPromptPipeline } from './pipeline/prompt-pipeline';

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
    if (!job?.id || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    void options.store
      .fail(job.id, { code: 'internal_error', message: error.message })
      .catch(() => undefined);
  });

  // A job that stalled more often than allowed is failed inside a Lua script, with no worker
  // event; the queue's event stream is the one place that reports it.
  const eventsConnection = options.connection.duplicate();
  const events = new QueueEvents(queueName, {
    connection: eventsConnection,
    prefix: options.keys.prefix,
  });
  events.on('failed', ({ jobId, failedReason }) => {
    if (!/stalled/i.test(failedReason)) return;
    void options.store
      .fail(jobId, {
        code: 'worker_lost',
        message: 'the workers running this job stopped too many times',
      })
      .catch(() => undefined);
  });
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);

  return {
    worker,
    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'forced'>((resolve) => {
        timer = setTimeout(() => resolve('forced'), timeoutMs);
      });
      const outcome = await Promise.race([worker.close().then(() => 'drained' as const), timeout]);
      clearTimeout(timer);
      // Forced: the active jobs' locks lapse and another worker recovers them.
      if (outcome === 'forced') await worker.close(true);
      await events.close();
      // BullMQ leaves connections it was given open; this one is ours to close.
      await eventsConnection.quit().catch(() => undefined);
      return outcome;
    },
  };
}
