import { type LlmqMetrics, metricsScrapeAllowed } from '@llmq/core';
import { type RequestHandler, Router } from 'express';
import { ApiError, methodNotAllowed } from '../http/api-error';

export interface MetricsEndpointOptions {
  metrics: LlmqMetrics;
  /** Bearer token scrapes must present (env `METRICS_TOKEN`); unset: open. */
  token?: string;
}

/** `GET /metrics`: the Prometheus text exposition, behind the metrics token when one is set. */
export function metricsHandler({ metrics, token }: MetricsEndpointOptions): RequestHandler {
  return async (request, response) => {
    if (!metricsScrapeAllowed(request.headers.authorization, token)) {
      throw new ApiError(
        401,
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
