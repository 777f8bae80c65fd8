import { digestsEqual, hashApiKey } from '@llmq/core';
import type { RequestHandler } from 'express';
import { ApiError } from './api-error';

/** Marks the metrics-token guard so the route-table test counts its route as protected. */
export const metricsTokenMarker = Symbol.for('llmq.metricsToken');

/**
 * Guards `GET /metrics` with a bearer token (env `METRICS_TOKEN`), compared in constant time.
 * Mount the route before `authenticate` with this guard first:
 * `router.get('/metrics', requireMetricsToken(token), handler)`. Without a token configured
 * the route refuses everyone: serve metrics on a separate internal port instead.
 */
export function requireMetricsToken(token: string | undefined): RequestHandler {
  const expected = token ? hashApiKey(token) : undefined;
  const guard: RequestHandler = (request, _response, next) => {
    const header = request.headers.authorization;
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!expected || !presented || !digestsEqual(hashApiKey(presented), expected)) {
      throw new ApiError(
        401,
        'invalid_api_key',
        'send the metrics token as "Authorization: Bearer <token>"',
        undefined,
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
    next();
  };
  return Object.assign(guard, { [metricsTokenMarker]: true });
}
