import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';

/** Width of one bucket of started jobs, seconds. */
export const throughputBucketSeconds = 10;
/** How far back the measured rate looks, seconds (the last six full buckets). */
export const throughputWindowSeconds = 60;

/**
 * How many jobs each lane starts, measured across every worker: workers count the jobs they
 * start in 10-second buckets of one Redis hash per lane (one HINCRBY per lane per second per
 * worker, not per job); the API reads the last minute's full buckets as a rate.
 */
export class LaneThroughput {
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: {
      /** How often a worker writes its counts, ms (default 1,000). */
      flushIntervalMs?: number;
      now?: () => number;
      onError?: (error: unknown) => void;
    } = {},
  ) {}

  /** Counts a job a worker started in `queueName` (written within a second). */
  started(queueName: string): void {
    this.pending.set(queueName, (this.pending.get(queueName) ?? 0) + 1);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => this.options.onError?.(error));
    }, this.options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Writes the counts taken since the last flush. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const bucket = this.bucketOf(this.now());
    const pipeline = this.redis.pipeline();
    for (const [queueName, count] of this.pending) {
      const key = this.keys.laneStarts(queueName);
      pipeline.hincrby(key, String(bucket), count);
      // Fields older than the window are never read; the hash lapses when the lane idles.
      pipeline.expire(key, throughputWindowSeconds * 3);
    }
    this.pending.clear();
    await pipeline.exec();
  }

  /** Jobs the lane started per second over the last full minute (0 when idle or unknown). */
  async startsPerSecond(queueName: string): Promise<number> {
    const current = this.bucketOf(this.now());
    const fields: string[] = [];
    // The current bucket is still filling: the six before it.
    for (let back = 1; back <= throughputWindowSeconds / throughputBucketSeconds; back += 1)
      fields.push(String(current - back * throughputBucketSeconds));
    const counts = await this.redis.hmget(this.keys.laneStarts(queueName), ...fields);
    const started = counts.reduce((sum, count) => sum + Number(count ?? 0), 0);
    return started / throughputWindowSeconds;
  }

  /** Stops the pending flush timer (the counts not yet written are dropped). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private bucketOf(now: number): number {
    const seconds = Math.floor(now / 1000);
    return seconds - (seconds % throughputBucketSeconds);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
