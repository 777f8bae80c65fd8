import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';

/** Weight of the newest measurement in the moving average. */
const newestWeight = 0.3;

/** A measured turnaround by provider account and upstream model, ms; undefined when unmeasured. */
export type MeasuredTurnaround = (provider: string, upstreamModel: string) => number | undefined;

const fieldOf = (provider: string, upstreamModel: string) => `${provider}|${upstreamModel}`;

/**
 * What llmq has measured of each provider's batch turnaround (submit to the poll that saw the
 * batch end), per account and model, shared by every worker through Redis. The tier choice and
 * the deadline check prefer it to the catalog's `expected_turnaround_ms`.
 */
export class BatchTurnarounds {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Folds one measured turnaround into the average (two workers racing lose one sample). */
  async record(provider: string, upstreamModel: string, turnaroundMs: number): Promise<void> {
    const key = this.keys.providerBatchTurnarounds();
    const field = fieldOf(provider, upstreamModel);
    const previous = Number(await this.redis.hget(key, field));
    const next =
      previous > 0 ? previous * (1 - newestWeight) + turnaroundMs * newestWeight : turnaroundMs;
    await this.redis.hset(key, field, Math.round(next));
  }

  /** The measured turnaround of one account and model, ms, or undefined. */
  async get(provider: string, upstreamModel: string): Promise<number | undefined> {
    const value = Number(
      await this.redis.hget(this.keys.providerBatchTurnarounds(), fieldOf(provider, upstreamModel)),
    );
    return value > 0 ? value : undefined;
  }

  /** Every measured turnaround, read once, as a lookup. */
  async snapshot(): Promise<MeasuredTurnaround> {
    const fields = await this.redis.hgetall(this.keys.providerBatchTurnarounds());
    return (provider, upstreamModel) => {
      const value = Number(fields[fieldOf(provider, upstreamModel)]);
      return value > 0 ? value : undefined;
    };
  }
}
