import { randomUUID } from 'node:crypto';
import {
  type FairPriority,
  type JobTake,
  jobCatalog,
  LaneThroughput,
  type LlmqMetrics,
  type Logger,
  logWorkerError,
  type TakenJob,
  type Tracing,
} from '@llmq/core';
import {
  createPromptJobProcessor,
  createRunnerServices,
  failExhaustedAttempts,
  type ReadDeploymentKeys,
  type RunnerEnv,
  type RunnerServices,
} from '@llmq/runner';
import { Job, type Processor, Worker, type WorkerOptions } from 'bullmq';

export interface InlineRunnerOptions {
  /** Sync jobs this process runs at once (env `INLINE_CONCURRENCY`, > 0). */
  concurrency: number;
  /** The runner's settings: providers, catalog, filters, caches, resilience, limits (a worker's). */
  env: RunnerEnv;
  /** The API keys of catalog deployments that have their own (see the API's env.ts). */
  readDeploymentKeys: ReadDeploymentKeys;
  /** BullMQ's lock on a job run here, ms (env `LOCK_DURATION_MS`, as the workers'). */
  lockDurationMs: number;
  logger: Logger;
  /**
   * The API's metrics: an inline run's provider calls, rate-limit waits, circuits and budget
   * reservations are on the API's `/metrics`.
   */
  metrics: LlmqMetrics;
  /** The API's tracing: an inline run's spans under the API's service name; the API shuts it. */
  tracing: Tracing;
  /** The interactive lane's fair clock, advanced as a worker's lane balancer does per job. */
  fair?: FairPriority;
}

/**
 * BullMQ's worker for the jobs this process takes itself, never fetching one: no main loop
 * (`autorun` off), so no blocking read, no stalled-job check (the workers' checks cover the
 * lane). Each taken job runs through BullMQ's own `processJob`, with no next job fetched, so
 * BullMQ completes it, fails or retries it (its attempts and backoff: a worker takes the retry)
 * and leaves a job the pipeline put back delayed (a capped start) to the workers, as for a job
 * a worker fetched. Its lock manager renews the taken jobs' locks while they run: BullMQ starts
 * it from `run()`, which this worker never calls.
 */
class InlineWorker extends Worker {
  constructor(processor: Processor, options: WorkerOptions) {
    super(jobCatalog.interactivePrompt.queue, processor, { ...options, autorun: false });
    this.lockManager.start();
  }
}

/**
 * Runs non-streamed sync prompt jobs in the API process, with the worker's own pipeline, when
 * the interactive lane has nothing waiting (see `JobSubmitter`'s `take`): the worker's wake-up,
 * its fetch and the end's announcement to another process drop off the request's path. The job
 * is written, queued and taken in the accept's one script, so a run cut off by this process's
 * death leaves an active job whose lock lapses; a worker's stalled-job check then moves it back
 * and a worker runs it (the job store keeps one result, the call journal counts the cut-off
 * call), as for a dead worker's job.
 */
export class InlineRunner {
  private active = 0;
  private closing: Promise<'drained' | 'forced'> | undefined;
  /** Called once no take is out (none claimed and not given back, none running). */
  private whenIdle: (() => void) | undefined;
  private readonly services: RunnerServices;
  private readonly worker: InlineWorker;
  private readonly lockDurationMs: number;

  constructor(private readonly options: InlineRunnerOptions) {
    const { env, logger, metrics, tracing } = options;
    const services = createRunnerServices(env, logger, options.readDeploymentKeys, {
      metrics,
      tracing,
      // Told apart from the workers' in `CLIENT LIST`.
      connectionName: 'llmq-api-runner',
    });
    this.services = services;
    const { connection, keys } = services;
    const pipeline = createPromptJobProcessor({
      services,
      env,
      logger,
      throughput: new LaneThroughput(connection, keys, {
        onError: (error) =>
          logger.warn('lane-throughput-failed', {
            event: 'lane-throughput-failed',
            error: error instanceof Error ? error.message : String(error),
          }),
      }),
    });
    this.lockDurationMs = options.lockDurationMs;
    this.worker = new InlineWorker(pipeline, {
      connection,
      prefix: keys.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
    });
    this.worker.on('error', logWorkerError(logger));
    failExhaustedAttempts(this.worker, services.store);
  }

  /** Inline jobs running now. */
  get running(): number {
    return this.active;
  }

  /**
   * A take for a new sync job's accept while this process has a free slot (the accept still
   * checks the lane); each take given out is either run ({@link run}) or given back
   * ({@link release}).
   */
  claim(): JobTake | undefined {
    if (this.closing !== undefined || this.active >= this.options.concurrency) return undefined;
    this.active += 1;
    return { token: randomUUID(), lockDurationMs: this.lockDurationMs };
  }

  /** Gives back a slot whose job was not taken (the lane had jobs waiting, or a replay). */
  release(): void {
    this.ended();
  }

  private ended(): void {
    this.active -= 1;
    if (this.active === 0) this.whenIdle?.();
  }

  /**
   * Runs a job the accept took under a take of {@link claim}, in the background: its end is
   * announced on the record's channel as a worker's is, so its request waits as for any job.
   */
  run(jobId: string, taken: TakenJob): void {
    // Whatever happens, the slot is given back once: a throw becomes the promise's rejection.
    void (async () => {
      // The job as BullMQ's fetch would give it to a worker: its add's options, data and
      // timestamp, taken now, its first attempt started.
      const job = new Job(this.worker, taken.name, taken.data, taken.options, jobId);
      job.processedOn = taken.processedOn;
      job.attemptsStarted = 1;
      job.token = taken.token;
      // As a worker's lane balancer does for each job it starts: the lane's fair clock.
      this.options.fair?.started(jobCatalog.interactivePrompt.queue, job.opts.priority);
      await this.worker.processJob(job, taken.token, () => false);
    })()
      .catch((error: unknown) => {
        this.options.logger.warn('inline-run-failed', {
          event: 'inline-run-failed',
          job_id: jobId,
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => this.ended());
  }

  /**
   * Takes no more jobs and waits up to `timeoutMs` for every take out: the running jobs and
   * those claimed for an accept still in flight (its job may be taken and run a moment later).
   * Jobs still running then are left to their locks, which lapse (a worker runs the job
   * again). Then lets go of the worker, providers and Redis.
   */
  close(timeoutMs: number): Promise<'drained' | 'forced'> {
    this.closing ??= this.shutDown(timeoutMs);
    return this.closing;
  }

  private async shutDown(timeoutMs: number): Promise<'drained' | 'forced'> {
    let timer: NodeJS.Timeout | undefined;
    const outcome =
      this.active === 0
        ? 'drained'
        : await new Promise<'drained' | 'forced'>((resolve) => {
            this.whenIdle = () => resolve('drained');
            timer = setTimeout(() => resolve('forced'), timeoutMs);
          });
    clearTimeout(timer);
    await this.worker.close(true).catch(() => undefined);
    const { services } = this;
    await services.providers.close().catch(() => undefined);
    await services.breaker.flushSuccesses().catch(() => undefined);
    await Promise.all([
      services.queues.prompt.close(),
      services.queues.interactive.close(),
      services.queues.bulk.close(),
    ]).catch(() => undefined);
    await services.connection.quit().catch(() => undefined);
    return outcome;
  }
}
