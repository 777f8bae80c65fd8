import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { consumeScript } from './gateway-rate-limit-scripts';

/** What one request's check found; the numbers fill the `RateLimit-*` headers. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in the current window after this one (0 when refused). */
  remaining: number;
  /** Time until the window ends and the count starts again, ms. */
  resetMs: number;
  /** Length of the window, ms. */
  windowMs: number;
}

export interface GatewayRateLimiterOptions {
  /** Length of a window, ms (default 60,000: limits are requests per minute). */
  windowMs?: number;
}

/**
 * Request-rate limits of the API gateway, per subject (an API key id), shared by every API
 * instance through Redis: one Lua call (one round trip) per request.
 */
export class GatewayRateLimiter {
  readonly windowMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: GatewayRateLimiterOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Counts one request of `subject` against `limit` requests per window. */
  async consume(
    subject: string,
    limit: number,
    now: number = Date.now(),
  ): Promise<RateLimitDecision> {
    const [count, resetMs] = (await consumeScript.run(
      this.redis,
      [this.keys.gatewayRateLimit(subject)],
      [now, this.windowMs],
    )) as [number, number];
    return {
      allowed: count <= limit,
      limit,
      remaining: Math.max(0, limit - count),
      resetMs: Math.max(0, resetMs),
      windowMs: this.windowMs,
    };
  }
}
