import { type Logger, planLaneConcurrency } from '@llmq/core';
import type { Job, Queue, Worker } from 'bullmq';

/** One lane (one queue and its worker in this process). */
export interface LaneConfig {
  /** The lane's queue: its name keys the lane, its counts say whether work is waiting. */
  queue: Queue;
  /** Concurrency share (env `WORKER_CONCURRENCY`, `INTERACTIVE_CONCURRENCY`, `BULK_WORKER_CONCURRENCY`). */
  share: number;
}

export interface LaneBalancerOptions {
  lanes: LaneConfig[];
  /** How often the lanes' waiting counts are read, ms (env `LANE_BALANCE_INTERVAL_MS`, 250). */
  intervalMs: number;
  /** Lend idle lanes' shares to busy lanes (env `LANE_LENDING`, default true). */
  lending: boolean;
  /** Called as a lane's job starts (the fairness clock listens here). */
  onJobStart?: (queueName: string, job: Job) => void;
  /** Called as a lane starts a job while no other job of the lane runs in this process. */
  onIdleLaneJob?: (queue: Queue) => void;
  logger: Logger;
}

interface LaneState extends LaneConfig {
  worker?: Worker;
  /** Jobs of this lane this process is running (counted around the processor). */
  active: number;
  /** Waiting jobs at the last count, across all processes. */
  waiting: number;
  /** Slots this lane lent out at the last balance. */
  lent: number;
}

/** Least time between two balances a job start triggers, ms: a busy lane starts many jobs. */
const minTriggeredGapMs = 20;

/**
 * Lane lending: every `intervalMs`, and soon after a lane that lent slots starts a job, it
 * reads each lane's waiting count (one Redis call per lane) and sets each lane's BullMQ
 * `Worker.concurrency` from `planLaneConcurrency`: a lane keeps its own share, and what idle
 * lanes do not use goes to the lanes with work waiting. Each worker process balances its own
 * workers; no coordination is needed, as every process reads the same counts.
 */
export class LaneBalancer {
  private readonly lanes: LaneState[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastBalanceAt = 0;
  private failing = false;

  constructor(private readonly options: LaneBalancerOptions) {
    this.lanes = options.lanes.map((lane) => ({ ...lane, active: 0, waiting: 0, lent: 0 }));
  }

  /**
   * Wraps a lane's processor so the balancer knows how many of its jobs run here (a count kept
   * around the call, so delayed and failed jobs leave it too) and sees each job start.
   */
  track<Rest extends unknown[], Result>(
    queueName: string,
    processor: (job: Job, ...rest: Rest) => Promise<Result>,
  ): (job: Job, ...rest: Rest) => Promise<Result> {
    const lane = this.lane(queueName);
    return async (job, ...rest) => {
      lane.active += 1;
      this.options.onJobStart?.(queueName, job);
      if (lane.active === 1) this.options.onIdleLaneJob?.(lane.queue);
      // A lane that lent its slots takes this one back now, not at the next tick, so the
      // borrowers stop fetching into it.
      if (lane.lent > 0 && Date.now() - this.lastBalanceAt >= minTriggeredGapMs)
        this.rebalanceSoon();
      try {
        return await processor(job, ...rest);
      } finally {
        lane.active -= 1;
      }
    };
  }

  /** Hands the balancer the lane's worker, whose concurrency it will set. */
  attach(queueName: string, worker: Worker): void {
    this.lane(queueName).worker = worker;
  }

  start(): void {
    if (!this.options.lending || this.timer) return;
    this.timer = setInterval(() => this.rebalanceSoon(), this.options.intervalMs);
    this.timer.unref();
    this.rebalanceSoon();
  }

  /** Stops balancing and puts every worker back to its share. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    for (const lane of this.lanes) if (lane.worker) lane.worker.concurrency = lane.share;
  }

  /** Each lane's current concurrency, by queue name (for tests and logs). */
  concurrency(): Record<string, number> {
    return Object.fromEntries(
      this.lanes.map((lane) => [lane.queue.name, lane.worker?.concurrency ?? lane.share]),
    );
  }

  /** Counts and applies once (awaited); concurrent calls share one run. */
  async rebalance(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.balanceOnce();
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private rebalanceSoon(): void {
    this.rebalance().then(
      () => {
        this.failing = false;
      },
      (error: unknown) => {
        // Once per outage, not every tick: the lanes keep their last concurrency meanwhile.
        if (this.failing) return;
        this.failing = true;
        this.options.logger.warn('lane-balance-failed', {
          event: 'lane-balance-failed',
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
  }

  private async balanceOnce(): Promise<void> {
    if (this.stopped) return;
    this.lastBalanceAt = Date.now();
    const waiting = await Promise.all(
      this.lanes.map((lane) => lane.queue.getJobCountByTypes('wait', 'prioritized')),
    );
    this.lanes.forEach((lane, index) => {
      lane.waiting = waiting[index] ?? 0;
    });
    if (this.stopped) return;
    const plan = planLaneConcurrency(this.lanes);
    const borrowing = plan.some(
      (concurrency, index) => concurrency > (this.lanes[index]?.share ?? 0),
    );
    this.lanes.forEach((lane, index) => {
      lane.lent = borrowing && lane.waiting === 0 ? Math.max(0, lane.share - lane.active) : 0;
      const concurrency = plan[index] ?? lane.share;
      if (lane.worker && lane.worker.concurrency !== concurrency) {
        lane.worker.concurrency = concurrency;
      }
    });
  }

  private lane(queueName: string): LaneState {
    const lane = this.lanes.find((candidate) => candidate.queue.name === queueName);
    if (!lane) throw new Error(`no lane for queue "${queueName}"`);
    return lane;
  }
}
