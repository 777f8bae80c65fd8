import { type JobStore, jobCatalog, type Logger, logWorkerError, type RedisKeys } from '@llmq/core';
import type { createPromptPipeline } from '@llmq/runner';
import { failExhaustedAttempts } from '@llmq/runner';
import { type Job, type Processor, Worker, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
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
 * BullMQ's worker, except that a job's completion asks for the next job (`moveToFinished`'s
 * fetch) only while the worker's last fetch found one. Once a fetch came back empty (BullMQ's
 * `drained`), the worker's own loop waits on the lane's marker (`BZPOPMIN`) and takes the next
 * job as soon as it is added, so the completion's fetch would only find nothing: at one job at
 * a time that was 6 of `moveToFinished`'s 29 commands on every job (the empty `RPOPLPUSH` and
 * `ZPOPMIN` among them). A job added meanwhile is still taken, by the loop. BullMQ's `active` and
 * `drained` events mirror its private flag: `active` follows every fetch that found a job,
 * `drained` the first empty one after it.
 */
export class PromptLaneWorker extends Worker {
  private fetchedEmpty = false;

  constructor(name: string, processor: Processor, options: WorkerOptions) {
    super(name, processor, options);
    this.on('active', () => {
      this.fetchedEmpty = false;
    });
    this.on('drained', () => {
      this.fetchedEmpty = true;
    });
  }

  protected override handleCompleted(
    ...[result, job, token, fetchNext = () => true, span]: Parameters<Worker['handleCompleted']>
  ): Promise<Job> {
    return super.handleCompleted(result, job, token, () => !this.fetchedEmpty && fetchNext(), span);
  }
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
  const worker = new PromptLaneWorker(queueName, options.pipeline, {
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
  failExhaustedAttempts(worker, options.store);
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
