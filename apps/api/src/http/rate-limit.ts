import type { GatewayRateLimiter, RateLimitDecision } from '@llmq/core';
import { ClientError } from '@llmq/core';
import type { RequestHandler, Response } from 'express';
import type { ApiPrincipal } from './api-keys';

export interface RateLimitOptions {
  limiter: GatewayRateLimiter;
  /**
   * Requests per minute of a key whose stored limits set no `requests_per_minute` (env
   * `RATE_LIMIT_REQUESTS_PER_MINUTE`); 0: such keys are not limited.
   */
  defaultRequestsPerMinute: number;
}

/**
 * Per API key request-rate limit, after authentication: the key's own `requests_per_minute`
 * (stored with an issued key) or the default, over a sliding window (no window of a minute
 * ever holds more), shared by every API instance through Redis. Every limited answer carries
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds until the oldest
 * counted request leaves the window; when refused, until a retry may pass) and
 * `RateLimit-Policy` (IETF httpapi-ratelimit-headers, draft 6/7 style); a request over the
 * limit gets `429 rate_limited` with `Retry-After`.
 */
export function rateLimit(options: RateLimitOptions): RequestHandler {
  const windowSeconds = Math.round(options.limiter.windowMs / 1000);
  return async (_request, response, next) => {
    const principal = response.locals.principal as ApiPrincipal;
    const limit = principal.limits?.requests_per_minute ?? options.defaultRequestsPerMinute;
    if (!limit) {
      next();
      return;
    }
    const decision = await options.limiter.consume(principal.keyId, limit);
    const resetSeconds = setRateLimitHeaders(response, decision, windowSeconds);
    if (!decision.allowed) {
      throw new ClientError(
        'rate_limited',
        `this API key may make ${limit} requests per ${windowSeconds} s; retry in ${resetSeconds} s`,
        { limit, window_seconds: windowSeconds, retry_after_seconds: resetSeconds },
        { 'Retry-After': String(resetSeconds) },
      );
    }
    next();
  };
}

/** Sets the `RateLimit-*` headers; returns `RateLimit-Reset` in seconds (at least 1). */
function setRateLimitHeaders(
  response: Response,
  decision: RateLimitDecision,
  windowSeconds: number,
): number {
  const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
  response.setHeader('RateLimit-Limit', String(decision.limit));
  response.setHeader('RateLimit-Remaining', String(decision.remaining));
  response.setHeader('RateLimit-Reset', String(resetSeconds));
  response.setHeader('RateLimit-Policy', `${decision.limit};w=${windowSeconds}`);
  return resetSeconds;
}
