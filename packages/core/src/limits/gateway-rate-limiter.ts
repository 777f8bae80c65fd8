import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/lua-script';
import type { RedisKeys } from '../redis/redis-keys';

/**
 * One fixed window per subject, in one hash: the window's start and the requests counted in
 * it. A request at or past the window's end opens a new window. The hash expires with its
 * window, so an idle subject leaves nothing behind. Every API instance runs this against the
 * same key, so the limit is shared across instances; the clock is the caller's (as in the
 * circuit breaker), so tests can move it.
 *
 * KEYS[1] the subject's window hash
 * ARGV[1] now, ms; ARGV[2] window, ms
 * Returns {count in this window (this request included), ms until the window ends}.
 */
const consumeScript = new LuaScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local start = tonumber(redis.call('HGET', KEYS[1], 'start') or '-1')
if start < 0 or now >= start + window or now < start - window then
  start = now
  redis.call('HSET', KEYS[1], 'start', start, 'count', 0)
  redis.call('PEXPIRE', KEYS[1], window)
end
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
return {count, start + window - now}
`);

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
