import { ClientError, type LlmqMetrics, metricsScrapeAllowed } from '@llmq/core';
import { type RequestHandler, Router } from 'express';
import { methodNotAllowed } from '../http/api-error';

export interface MetricsEndpointOptions {
  metrics: LlmqMetrics;
  /** Bearer token scrapes must present (env `METRICS_TOKEN`); unset: open. */
  token?: string;
}

/**
 * Marks the metrics handler when it demands a token, so the route-table (auth-matrix) test
 * counts `/metrics` as guarded. An open handler (no token: internal port only) is unmarked.
 */
export const metricsTokenMarker = Symbol.for('llmq.metricsToken');

/**
 * `GET /metrics`: the Prometheus text exposition, behind the metrics token (env
 * `METRICS_TOKEN`, compared in constant time) when one is set. Mounted before `authenticate`:
 * scrapers carry the metrics token, not an API key.
 */
export function metricsHandler({ metrics, token }: MetricsEndpointOptions): RequestHandler {
  const handler: RequestHandler = async (request, response) => {
    if (!metricsScrapeAllowed(request.headers.authorization, token)) {
      throw new ClientError(
        'invalid_metrics_token',
        'a valid metrics bearer token is required',
        undefined,
        { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      );
    }
    const body = await metrics.registry.metrics();
    response.setHeader('Content-Type', metrics.registry.contentType);
    response.setHeader('Cache-Control', 'no-store');
    response.send(body);
  };
  return token ? Object.assign(handler, { [metricsTokenMarker]: true }) : handler;
}

/** Mounts `GET /metrics` (other methods answer 405). */
export function metricsRouter(options: MetricsEndpointOptions): Router {
  const router = Router();
  router
    .route('/metrics')
    .get(metricsHandler(options))
    .all(methodNotAllowed(['GET']));
  return router;
}
