import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { LaneThroughput } from './lane-throughput';

/**
 * Where a queued job stands in its lane (`queue` on `GET /v1/jobs/:id` while it is queued).
 * `position` is coarse: 1 for the next job to start, else the power of ten at or above its
 * place in the lane (10 for places 2 to 10, 100 for 11 to 100, …). The place counts every
 * tenant's jobs ahead, in the order the lane's fair tags give them, so an exact figure would
 * tell a tenant how much work other tenants queued; a count of the tenant's own jobs ahead
 * would need an index of each tenant's queued jobs per lane, kept in step with every way a
 * job leaves the queue. A job waiting in the delayed set (a retry backoff, a rate limit, a
 * full running-job cap) has no position until it is back.
 */
export interface QueuePosition {
  state: 'waiting' | 'delayed';
  position: number | null;
  /** Jobs the lane started per second over the last minute, across every worker. */
  starts_per_second: number;
  /**
   * `position / starts_per_second`, ms (as coarse as `position`); null while the lane started
   * nothing in that minute.
   */
  estimated_wait_ms: number | null;
  /** When a delayed job is due back in the queue (RFC 3339). */
  delayed_until?: string;
}

/**
 * The job's place in `queue`: jobs in BullMQ's wait list run first, then the prioritized set
 * in score order, so its position is the wait list's length plus its rank there. Prompt jobs
 * always carry a priority (their fair tag, or the request's 1 to 10), so they wait in the
 * prioritized set. One pipeline of O(log n) reads, whatever the queue's length. Undefined
 * when BullMQ holds the job in neither set (a worker is taking it, or it just ended).
 */
export async function queuePositionOf(
  redis: Redis,
  queue: Queue,
  throughput: LaneThroughput,
  jobId: string,
): Promise<QueuePosition | undefined> {
  const [replies, rate] = await Promise.all([
    redis
      .pipeline()
      .llen(queue.toKey('wait'))
      .zrank(queue.toKey('prioritized'), jobId)
      .zscore(queue.toKey('delayed'), jobId)
      .exec(),
    throughput.startsPerSecond(queue.name),
  ]);
  const [waiting, rank, delayed] = (replies ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const estimate = (position: number) => ({
    position,
    starts_per_second: rate,
    estimated_wait_ms: rate > 0 ? Math.round((position / rate) * 1000) : null,
  });
  if (typeof rank === 'number')
    return { state: 'waiting', ...estimate(positionBucket(Number(waiting) + rank + 1)) };
  if (delayed !== null && delayed !== undefined) {
    // BullMQ's delayed score is the due time × 4096 plus a counter.
    const due = Math.floor(Number(delayed) / 4096);
    return {
      state: 'delayed',
      position: null,
      starts_per_second: rate,
      estimated_wait_ms: null,
      delayed_until: new Date(due).toISOString(),
    };
  }
  return undefined;
}

/** The bound of the bucket holding a place in the lane: 1, or the power of ten at or above it. */
export function positionBucket(place: number): number {
  let bound = 1;
  while (bound < place) bound *= 10;
  return bound;
}
