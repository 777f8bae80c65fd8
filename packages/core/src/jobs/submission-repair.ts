import { enqueueSubmission, type LaneQueues } from './submission';
import type { SubmissionStore } from './submission-store';

/**
 * What a check of one accepted job found: its queue entry was missing and is back
 * (`requeued`), was there (`present`), is not needed (`not_queued`: the job ran, runs, or was
 * cancelled), or cannot be rebuilt (`lost`: a queued record whose submission is gone).
 */
export type RepairOutcome = 'requeued' | 'present' | 'not_queued' | 'lost';

export interface SweepTally {
  checked: number;
  requeued: number;
  lost: number;
}

/**
 * Puts back the queue entry of an accepted job when a crash lost it: a record in status
 * `queued` with no BullMQ job in either prompt lane is enqueued again from its submission.
 * Enqueueing twice is harmless (BullMQ keeps one job per id, and the job store's start
 * refuses to run a job that already ended), so the replay of a submit and the sweeper may race.
 */
export class SubmissionRepair {
  constructor(
    private readonly submissions: SubmissionStore,
    private readonly queues: LaneQueues,
  ) {}

  /** Checks one job and enqueues it again when its queue entry is missing. */
  async ensureQueued(jobId: string): Promise<RepairOutcome> {
    const [state] = await this.states([jobId]);
    return state === 'missing' ? this.requeue(jobId) : (state ?? 'not_queued');
  }

  /**
   * Checks every job accepted more than `graceMs` ago that is still listed pending (up to
   * `limit`), enqueues again those whose queue entry is missing, and forgets the rest.
   */
  async sweep(graceMs: number, limit = 500, now: number = Date.now()): Promise<SweepTally> {
    const jobIds = await this.submissions.pending(now - graceMs, limit);
    const states = await this.states(jobIds);
    const tally: SweepTally = { checked: jobIds.length, requeued: 0, lost: 0 };
    for (const [index, jobId] of jobIds.entries()) {
      if (states[index] !== 'missing') continue;
      const outcome = await this.requeue(jobId);
      if (outcome === 'requeued') tally.requeued += 1;
      if (outcome === 'lost') tally.lost += 1;
    }
    await this.submissions.clear(jobIds);
    return tally;
  }

  private states(jobIds: string[]) {
    const lanes = [this.queues.standard, this.queues.interactive].filter((queue) => !!queue);
    return this.submissions.inspect(jobIds, (jobId) => lanes.map((queue) => queue.toKey(jobId)));
  }

  private async requeue(jobId: string): Promise<RepairOutcome> {
    const submission = await this.submissions.read(jobId);
    if (!submission) return 'lost';
    await enqueueSubmission(this.queues, submission);
    return 'requeued';
  }
}
