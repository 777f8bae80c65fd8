import { ClientError } from '@llmq/core';
import type { RequestHandler } from 'express';

/** Connection states in which Redis was reachable once and is not now. */
const lostStates = new Set(['reconnecting', 'close', 'end']);

/**
 * Answers 503 `redis_unavailable` (Retry-After: 1) at once while the Redis connection is lost,
 * instead of letting each request wait in ioredis' offline queue for the next reconnect attempt
 * to fail. A connection still opening at startup (`connecting`) is waited for as before.
 */
export function requireRedis(redis: { readonly status: string }): RequestHandler {
  return (_request, _response, next) => {
    if (!lostStates.has(redis.status)) {
      next();
      return;
    }
    next(
      new ClientError(
        'redis_unavailable',
        'the job store is unavailable; retry shortly',
        undefined,
        { 'Retry-After': '1' },
      ),
    );
  };
}
