import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { advanceScript, assignScript } from './fair-priority-scripts';

/** BullMQ's largest priority (`PRIORITY_LIMIT`, 2^21 - 1); lower runs first, FIFO among equals. */
export const maxQueuePriority = 2 ** 21 - 1;

/**
 * Virtual-time units per BullMQ priority step. A job of request priority p costs p units, so a
 * default-priority (5) job moves its flow one step and a priority-1 job a fifth of one.
 */
export const fairUnitsPerStep = 5;

/**
 * Tenant-fair BullMQ priorities for the prompt lanes (see `assignScript` in fair-priority-scripts.ts for the scheme).
 * The submit path calls `assign` (one Lua call; once per `addBulk` chunk for batch lines); a
 * worker calls `started` when it starts a job.
 */
export class FairPriority {
  private readonly clocks = new Map<string, LaneClock>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly onError: (error: unknown) => void = () => undefined,
    /** Tenants' lane weights (see `TenantFlowStore`); absent, every tenant weighs 1. */
    private readonly weights?: TenantWeights,
  ) {}

  /**
   * BullMQ priorities for `count` jobs of one tenant and request priority (1 first, 10 last)
   * about to be added to `queue`, in the order they will be added.
   */
  async assign(queue: Queue, tenant: string, priority: number, count = 1): Promise<number[]> {
    if (count <= 0) return [];
    const { keys, args } = await this.assignment(queue, tenant, priority, count);
    return (await assignScript.run(this.redis, keys, args)) as number[];
  }

  /**
   * The keys and arguments of `assign_fair_priorities` (fair-priority-scripts.ts) for `count`
   * jobs, for a script that tags its jobs itself (the submit's accept script does).
   */
  async assignment(
    queue: Queue,
    tenant: string,
    priority: number,
    count = 1,
  ): Promise<FairAssignment> {
    const level = Math.min(10, Math.max(1, Math.round(priority)));
    const weight = (await this.weights?.weightOf(tenant)) ?? 1;
    return {
      keys: [
        this.keys.fairQueue(queue.name),
        queue.toKey('wait'),
        queue.toKey('prioritized'),
        queue.toKey('paused'),
        queue.toKey('delayed'),
      ],
      args: [tenant, level, count, fairUnitsPerStep, maxQueuePriority, weight],
    };
  }

  /** Advances the lane's clock to the tag of a job with this BullMQ priority (awaited). */
  async advance(queueName: string, queuePriority: number): Promise<void> {
    const tag = tagOf(queuePriority);
    if (tag === undefined) return;
    await advanceScript.run(this.redis, [this.keys.fairQueue(queueName)], [tag]);
  }

  /**
   * Records that a worker started a job of `queueName` with this BullMQ priority, without
   * waiting: at most one advance per lane is in flight, later starts fold into the next one,
   * so a busy worker sends far fewer calls than it starts jobs.
   */
  started(queueName: string, queuePriority: number | undefined): void {
    const tag = tagOf(queuePriority);
    if (tag === undefined) return;
    let clock = this.clocks.get(queueName);
    if (!clock) {
      clock = { pending: -1, inflight: false };
      this.clocks.set(queueName, clock);
    }
    if (tag <= clock.pending) return;
    clock.pending = tag;
    if (!clock.inflight) void this.flush(queueName, clock);
  }

  private async flush(queueName: string, clock: LaneClock): Promise<void> {
    clock.inflight = true;
    let sent = -1;
    try {
      while (clock.pending > sent) {
        sent = clock.pending;
        await advanceScript.run(this.redis, [this.keys.fairQueue(queueName)], [sent]);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      clock.inflight = false;
      // A new epoch may restart tags below what this process sent last; start afresh.
      clock.pending = -1;
    }
  }
}

/**
 * What `assign_fair_priorities` takes: KEYS the lane's fair hash, the queue's wait list,
 * prioritized set, paused list and delayed set; ARGV the tenant, request priority (1..10), how
 * many jobs, units per step, largest queue priority and the tenant's weight.
 */
export interface FairAssignment {
  keys: [string, string, string, string, string];
  args: [string, number, number, number, number, number];
}

/** Where the fair tags read a tenant's weight (cached by the implementation). */
export interface TenantWeights {
  weightOf(tenant: string): Promise<number>;
}

interface LaneClock {
  /** Highest tag seen since the last flush started. */
  pending: number;
  inflight: boolean;
}

/**
 * The lowest virtual tag a job of this BullMQ priority can carry: the clock moves to the start
 * of the job's step, so a flow arriving now lands in the same step, behind what is queued there.
 */
function tagOf(queuePriority: number | undefined): number | undefined {
  if (!queuePriority || queuePriority < 1 || queuePriority > maxQueuePriority) return undefined;
  return (Math.floor(queuePriority) - 1) * fairUnitsPerStep;
}
