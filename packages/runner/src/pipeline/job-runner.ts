import {
  type AttemptRecord,
  type FilterFinding,
  type FilterPart,
  type FilterPolicy,
  type FilterVerdict,
  failureSummary,
  inspectOutput,
  type JobFailure,
  type JobProgress,
  type LlmqMetrics,
  type Logger,
  tracerName,
} from '@llmq/core';
import { type Tracer, trace } from '@opentelemetry/api';
import { DelayedError, type Job } from 'bullmq';
import { describeFailure } from './describe-failure';
import {
  attemptOutcomeOf,
  createJobSpans,
  type JobIdentity,
  type ObservedJob,
} from './job-telemetry';
import { recordCallMetrics } from './record-call-metrics';

/** What a job's stages came back with; the runner's decision table maps each kind to an end. */
export type StageOutcome<Answer> =
  /** The provider stage answered: the output filter runs, then the sink completes the job. */
  | { kind: 'success'; answer: Answer; attempts: AttemptRecord[] }
  /** The provider stage failed: retried while attempts are left and it may help, else final. */
  | { kind: 'failed'; error: unknown; retryable: boolean; attempts: AttemptRecord[] }
  /**
   * A wait too long to hold a worker slot (a long Retry-After, a spent rate limit): the job is
   * parked in BullMQ's delayed set without spending an attempt. `failure` is what it waits on.
   */
  | {
      kind: 'wait';
      delayMs: number;
      attempts: AttemptRecord[];
      resume?: JobProgress['resume'];
      reason?: string;
      failure: JobFailure;
    }
  /** Refused before any provider call (routing, the input filter): final, nothing billed. */
  | { kind: 'rejected'; failure: JobFailure }
  /** Answered without a provider call (a cache hit): the sink already stored it. */
  | { kind: 'answered' };

/** The output filter's verdict on an answer (see `inspectOutput`). */
export type OutputVerdict = FilterVerdict & { cacheable: boolean };

/** What the runner offers a run's stages while they run. */
export interface StageHooks<Answer> {
  /**
   * An answer that stands before the job ends (speculative execution's initial answer): the
   * output filter runs on it, then the sink's `storeInitial`. False when it was not stored
   * (blocked by the filter, no `storeInitial`, or the job no longer active).
   */
  initial(answer: Answer, attempts: AttemptRecord[]): Promise<boolean>;
}

/** One claimed run of a job: its stages and where each of its ends is recorded. */
export interface JobRun<Answer> {
  /** The input stage (routing, caches, input filter) and the provider stage. */
  call(hooks: StageHooks<Answer>): Promise<StageOutcome<Answer>>;
  /**
   * The answer's texts and the policy of the output filter; absent, answers are not filtered.
   * `unredactable` says why the verdict's redactions cannot be applied (they would break JSON).
   */
  output?: {
    texts(answer: Answer): FilterPart[];
    policy(): Promise<FilterPolicy | undefined>;
    unredactable?(answer: Answer, verdict: OutputVerdict): string | undefined;
  };
  /** Fields naming who answered (`provider`, `routed_model`) for log lines. */
  answeredBy?(answer: Answer): Record<string, unknown>;
  /**
   * Stores an initial answer without ending the job (see {@link StageHooks.initial}); true
   * when stored.
   */
  storeInitial?(
    answer: Answer,
    attempts: AttemptRecord[],
    verdict?: OutputVerdict,
  ): Promise<boolean>;
  /** Stores the answer (text redacted by `verdict` when it found something). */
  complete(answer: Answer, attempts: AttemptRecord[], verdict?: OutputVerdict): Promise<void>;
  /**
   * Records the final failure with its ledger write. A sink whose jobs end failed in BullMQ
   * throws an `UnrecoverableError` here (`reason` is its message when given).
   */
  fail(failure: JobFailure, attempts: readonly AttemptRecord[], reason?: string): Promise<void>;
  /** The job is parked or retried: the job store shows it queued again with its last error. */
  requeue?(failure: JobFailure): Promise<void>;
  /** A failure caused by the client's stop request: records the stop and returns true. */
  stopped?(): Promise<boolean>;
  /** False once a retry would repeat output the client already has (streamed deltas). */
  mayRetry?(): boolean;
}

/** A kind of job: how its data is parsed, how a run is claimed, where its ends are recorded. */
export interface JobSink<Data extends { progress?: JobProgress }, Answer> {
  /** Prefix of the event names of its log lines: `job-retry`, `batch-line-fail`… */
  events: 'job' | 'batch-line';
  /** Parses the job data through the job catalog; throws an `UnrecoverableError` when invalid. */
  parse(job: Job): Promise<Data>;
  /** What the job span and log lines name. */
  identity(data: Data): JobIdentity;
  /** Extra fields for every log line of the job (`batch_id`, `line_index`). */
  logFields?(data: Data): Record<string, unknown>;
  /**
   * Claims the job; undefined when there is nothing to run (the sink recorded the skip). It
   * may put the job back in the delayed set (with `token`) and throw BullMQ's `DelayedError`.
   */
  open(
    job: Job,
    data: Data,
    observed: ObservedJob,
    log: Record<string, unknown>,
    token?: string,
  ): Promise<JobRun<Answer> | undefined>;
}

export interface JobRunnerOptions {
  logger: Logger;
  /** Tracer for job and provider spans; the no-op tracer when absent (tracing off). */
  tracer?: Tracer;
  /** This process's metrics; absent in tests that do not read them. */
  metrics?: LlmqMetrics;
}

/**
 * Runs jobs of one kind: parse, open the span, claim (or skip), run the stages, then ONE
 * decision table: wait → park, retryable with attempts left → retry, final → fail (with its
 * ledger write), success → output filter → complete. The sink records each end.
 */
export function createJobRunner<Data extends { progress?: JobProgress }, Answer>(
  sink: JobSink<Data, Answer>,
  options: JobRunnerOptions,
): (job: Job, token?: string) => Promise<void> {
  const runner = new JobRunner(sink, options);
  return (job, token) => runner.run(job, token);
}

/** One attempt of one job, as the decision table sees it. */
interface Attempt<Data, Answer> {
  job: Job;
  data: Data;
  run: JobRun<Answer>;
  log: Record<string, unknown>;
  token?: string;
}

class JobRunner<Data extends { progress?: JobProgress }, Answer> {
  private readonly jobSpans: ReturnType<typeof createJobSpans>;
  private readonly logger: Logger;

  constructor(
    private readonly sink: JobSink<Data, Answer>,
    private readonly options: JobRunnerOptions,
  ) {
    const tracer = options.tracer ?? trace.getTracer(tracerName);
    this.logger = options.logger;
    this.jobSpans = createJobSpans({ tracer, logger: options.logger, metrics: options.metrics });
  }

  async run(job: Job, token?: string): Promise<void> {
    const data = await this.sink.parse(job);
    const observed = this.jobSpans.begin(job, this.sink.identity(data));
    try {
      const log = { ...observed.logFields, ...this.sink.logFields?.(data) };
      const run = await this.sink.open(job, data, observed, log, token);
      if (run) await this.decide({ job, data, run, log, token });
      observed.end('completed');
    } catch (error) {
      observed.end(attemptOutcomeOf(job, error), error);
      throw error;
    }
  }

  /** Runs the stages and maps what came of them to the job's end. */
  private async decide(attempt: Attempt<Data, Answer>): Promise<void> {
    const startedAt = performance.now();
    const outcome = await attempt.run.call({
      initial: (answer, attempts) => this.filterAndStoreInitial(attempt, answer, attempts),
    });
    if ('attempts' in outcome) {
      const recorded = attempt.data.progress?.attempts.length ?? 0;
      recordCallMetrics(this.options.metrics, outcome.attempts, recorded);
    }
    switch (outcome.kind) {
      case 'answered':
        return;
      case 'rejected':
        return attempt.run.fail(outcome.failure, []);
      case 'wait':
        return this.park(attempt, outcome);
      case 'failed':
        return this.failOrRetry(attempt, outcome, performance.now() - startedAt);
      case 'success':
        return this.filterAndComplete(attempt, outcome.answer, outcome.attempts);
    }
  }

  /**
   * A long wait: park the job in BullMQ's delayed set (no worker slot held, no attempt
   * spent) with its calls so far, and resume where it stopped.
   */
  private async park(
    { job, data, run, log, token }: Attempt<Data, Answer>,
    outcome: Extract<StageOutcome<Answer>, { kind: 'wait' }>,
  ): Promise<never> {
    await job.updateData({
      ...data,
      progress: { attempts: outcome.attempts, resume: outcome.resume },
    });
    await run.requeue?.(outcome.failure);
    this.logger.info(this.event('delay'), {
      event: this.event('delay'),
      ...log,
      delay_ms: outcome.delayMs,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
    });
    await job.moveToDelayed(Date.now() + outcome.delayMs, token);
    throw new DelayedError();
  }

  /** A failed provider stage: stopped by its client, final (fail), or retried by BullMQ. */
  private async failOrRetry(
    { job, data, run, log }: Attempt<Data, Answer>,
    outcome: Extract<StageOutcome<Answer>, { kind: 'failed' }>,
    elapsedMs: number,
  ): Promise<void> {
    if (await run.stopped?.()) return;
    const { failure } = describeFailure(outcome.error, outcome.attempts);
    const final =
      !outcome.retryable ||
      job.attemptsMade + 1 >= (job.opts.attempts ?? 1) ||
      run.mayRetry?.() === false;
    const event = this.event(final ? 'fail' : 'retry');
    this.logger.warn(event, {
      event,
      ...log,
      provider: failure.provider,
      error_code: failure.code,
      status_code: failure.status_code,
      calls: outcome.attempts.length,
      latency_ms: Math.round(elapsedMs),
    });
    if (final) return run.fail(failure, outcome.attempts);
    // Keep the calls made so far, so the next attempt continues the same accounting.
    await job.updateData({ ...data, progress: { attempts: outcome.attempts } });
    await run.requeue?.(failure);
    // BullMQ keeps this as the failed attempt's reason and stack: never the provider's text.
    throw new Error(failureSummary(failure));
  }

  /** The output filter's verdict on an answer; undefined when the run filters nothing. */
  private async inspect(
    run: JobRun<Answer>,
    answer: Answer,
  ): Promise<ReturnType<typeof inspectOutput> | undefined> {
    const policy = await run.output?.policy();
    const verdict =
      run.output && policy ? inspectOutput(run.output.texts(answer), policy) : undefined;
    // A verdict without findings redacts nothing, so nothing can break (every clean answer).
    const unredactable =
      verdict && !verdict.blocked && verdict.findings.length > 0
        ? run.output?.unredactable?.(answer, verdict)
        : undefined;
    if (verdict && unredactable !== undefined) {
      verdict.blocked = true;
      verdict.reason = `${unredactable}, so it was blocked instead`;
    }
    return verdict;
  }

  /** An initial answer: the same output filter as a final one, then stored without ending. */
  private async filterAndStoreInitial(
    { run, log }: Attempt<Data, Answer>,
    answer: Answer,
    attempts: AttemptRecord[],
  ): Promise<boolean> {
    if (!run.storeInitial) return false;
    const verdict = await this.inspect(run, answer);
    if (!verdict?.blocked) return run.storeInitial(answer, attempts, verdict);
    this.logger.warn(this.event('initial-rejected'), {
      event: this.event('initial-rejected'),
      ...log,
      ...(run.answeredBy?.(answer) ?? {}),
      detectors: blockingDetectors(verdict.findings),
    });
    return false;
  }

  /** Output filter: after the provider stage succeeded, before anything is stored. */
  private async filterAndComplete(
    { run, log }: Attempt<Data, Answer>,
    answer: Answer,
    attempts: AttemptRecord[],
  ): Promise<void> {
    const verdict = await this.inspect(run, answer);
    if (!verdict?.blocked) return run.complete(answer, attempts, verdict);
    const answeredBy = run.answeredBy?.(answer) ?? {};
    this.logger.warn(this.event('output-rejected'), {
      event: this.event('fail'),
      ...log,
      ...answeredBy,
      error_code: 'output_rejected',
      detectors: blockingDetectors(verdict.findings),
    });
    const failure: JobFailure = {
      code: 'output_rejected',
      message: `the output filter blocked the answer: ${verdict.reason ?? 'policy'}`,
      ...(typeof answeredBy.provider === 'string' ? { provider: answeredBy.provider } : {}),
    };
    return run.fail(failure, attempts, 'output rejected by the output filter');
  }

  /** An event name of this kind of job: `job-retry`, `batch-line-fail`… */
  private event(name: string): string {
    return `${this.sink.events}-${name}`;
  }
}

/** The detectors that blocked, for a log line (never the matched text). */
export function blockingDetectors(findings: readonly FilterFinding[]): string[] {
  return findings
    .filter((finding) => finding.action === 'block')
    .map((finding) => finding.detector);
}
