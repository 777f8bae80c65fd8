import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import type { SweepTally } from './submission-repair';

export interface SubmissionSweeperOptions {
  redis: Redis;
  keys: RedisKeys;
  /** What one sweep checks and repairs: `SubmissionRepair` (jobs) or `BatchAcceptRepair`. */
  repair: { sweep(graceMs: number): Promise<SweepTally> };
  /** The lease's key (default `keys.submissionSweepLease()`; batches: `batchSweepLease()`). */
  lease?: string;
  /** How often each worker tries to sweep, ms (env `SUBMISSION_SWEEP_INTERVAL_MS`, default 5000). */
  intervalMs: number;
  /**
   * How old an accepted job must be before a missing queue entry counts as lost, ms (env
   * `SUBMISSION_SWEEP_GRACE_MS`, default 10000): a submit's own enqueue takes milliseconds.
   */
  graceMs: number;
  /** Called after a sweep that put jobs back or found some it could not rebuild. */
  onRepair?: (tally: SweepTally) => void;
  /** Called when a sweep fails (Redis down): the next tick tries again. */
  onError?: (error: unknown) => void;
}

/**
 * Runs a repair's `sweep` (`SubmissionRepair`, `BatchAcceptRepair`) every interval on one
 * worker at a time: the worker that takes the lease (a Redis key with a TTL) sweeps, the
 * others skip that tick. A worker that dies holding the lease only delays the next sweep until
 * the lease expires.
 */
export class SubmissionSweeper {
  private readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: SubmissionSweeperOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => {
        this.running = undefined;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One tick: take the lease or skip, then sweep until a batch comes back short. */
  async tick(): Promise<void> {
    try {
      const { redis, keys, repair, intervalMs, graceMs } = this.options;
      const leased = await redis.set(
        this.options.lease ?? keys.submissionSweepLease(),
        this.owner,
        'PX',
        intervalMs,
        'NX',
      );
      if (leased !== 'OK') return;
      const total: SweepTally = { checked: 0, requeued: 0, lost: 0 };
      for (;;) {
        const tally = await repair.sweep(graceMs);
        total.checked += tally.checked;
        total.requeued += tally.requeued;
        total.lost += tally.lost;
        if (tally.checked < 500) break;
      }
      if (total.requeued > 0 || total.lost > 0) this.options.onRepair?.(total);
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
