import type { PromptJobData, StartOutcome } from '@llmq/core';
import type { Job } from 'bullmq';

/**
 * A prompt job's start (the job store's `start`) sent without waiting for it, so the run's
 * first provider call's guards (stop flag, breaker acquire with the journal's record) go out
 * right behind it and share its round trip. The call waits on {@link started} through
 * `startGatedRecorder`; everything else that needs the start (the result's timings, a cache
 * hit's answer, the job's end) waits on {@link settled}, which acts on what the start said
 * (see `settlePromptClaim`) once.
 */
export class OverlappedClaim {
  /** True when the start let the job run. */
  readonly started: Promise<boolean>;
  private settling: Promise<number | undefined> | undefined;

  constructor(
    private readonly outcome: Promise<StartOutcome>,
    /** Acts on the start's outcome: the started claim, or undefined when skipped; may throw. */
    private readonly settle: (
      claim: StartOutcome,
    ) => Promise<Extract<StartOutcome, { outcome: 'started' }> | undefined>,
  ) {
    this.started = outcome.then((claim) => claim.outcome === 'started');
    // Read when a call or the run's end needs it: never an unhandled rejection meanwhile.
    this.started.catch(() => undefined);
  }

  /**
   * When the job was first started (epoch ms), or undefined when it is not to run (skipped);
   * throws what `settlePromptClaim` throws for a capped or expired job.
   */
  settled(): Promise<number | undefined> {
    this.settling ??= this.outcome.then(async (claim) => (await this.settle(claim))?.startedAt);
    return this.settling;
  }
}

/**
 * Whether a prompt job's start may overlap its first call: a first run (no calls carried, none
 * to read back from the journal) whose provider stage has nothing with effects before its
 * first call, with a journal to gate that call on (see `startGatedRecorder`). Speculative,
 * hedged and flex runs, and re-runs, wait for their start as before.
 */
export function mayOverlapStart(job: Job, data: PromptJobData, hasJournal: boolean): boolean {
  return (
    hasJournal &&
    !data.speculative &&
    !data.hedge &&
    data.serviceTier !== 'flex' &&
    data.progress === undefined &&
    job.attemptsMade === 0 &&
    (job.attemptsStarted ?? 0) <= 1 &&
    !job.stalledCounter
  );
}
