import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { slidingWindowConsumeScript } from './gateway-rate-limit-scripts';

/** What one request's check found; the numbers fill the `RateLimit-*` headers. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in the window after this one (0 when refused). */
  remaining: number;
  /**
   * Time until the oldest request counted leaves the window and frees its place, ms (the
   * `RateLimit-Reset` of a sliding window); when refused, the time until a retry may pass.
   */
  resetMs: number;
  /** Time until the next request would be allowed, ms: 0 while some remain. */
  retryAfterMs: number;
  /** The request's weight alone is over the limit: no wait lets it through. */
  neverFits: boolean;
  /** Length of the window, ms. */
  windowMs: number;
}

export interface GatewayRateLimiterOptions {
  /** Length of a window, ms (default 60,000: limits are requests per minute). */
  windowMs?: number;
  /**
   * Buckets per window (default 60: one second each for a minute). A request is forgotten
   * at most one bucket after it left the window; memory per subject is one field a bucket.
   */
  buckets?: number;
}

/**
 * Request-rate limits of the API gateway, per subject (an API key id), shared by every API
 * instance through Redis: a sliding window (see `gateway-rate-limit-scripts.ts`), one Lua
 * call (one round trip) per request, judged by Redis's clock unless a test passes its own.
 */
export class GatewayRateLimiter {
  readonly windowMs: number;
  private readonly buckets: number;
  private readonly bucketMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: GatewayRateLimiterOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    this.bucketMs = Math.max(1, Math.floor(this.windowMs / (options.buckets ?? 60)));
    this.buckets = Math.ceil(this.windowMs / this.bucketMs);
  }

  /**
   * Counts one request of `subject` against `limit` per window. `cost` is its weight (default
   * 1; its tokens for a token limit); `now` (ms) replaces Redis's clock, for tests.
   */
  async consume(
    subject: string,
    limit: number,
    options: { cost?: number; now?: number } = {},
  ): Promise<RateLimitDecision> {
    const cost = Math.max(0, Math.ceil(options.cost ?? 1));
    const [allowed, count, retryAfterMs, resetMs] = (await slidingWindowConsumeScript.run(
      this.redis,
      [this.keys.gatewayRateLimit(subject)],
      [options.now ?? '', this.bucketMs, this.buckets, limit, cost],
    )) as [number, number, number, number];
    return {
      allowed: allowed === 1,
      limit,
      remaining: Math.max(0, limit - count),
      resetMs: Math.max(0, allowed === 1 || retryAfterMs < 0 ? resetMs : retryAfterMs),
      retryAfterMs: Math.max(0, retryAfterMs),
      neverFits: retryAfterMs < 0,
      windowMs: this.windowMs,
    };
  }
}
