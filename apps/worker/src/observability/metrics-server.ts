import { createServer, type Server } from 'node:http';
import { type LlmqMetrics, type Logger, metricsScrapeAllowed } from '@llmq/core';

export interface WorkerMetricsServerOptions {
  metrics: LlmqMetrics;
  /** Env `WORKER_METRICS_PORT`; 0 picks a free port. */
  port: number;
  host: string;
  /** Bearer token scrapes must present (env `METRICS_TOKEN`); unset: open. */
  token?: string;
  logger: Logger;
}

/**
 * The worker's tiny HTTP side door: `GET /metrics` (Prometheus text) and `GET /healthz`
 * (liveness for Kubernetes). Plain `node:http`: the worker has no other HTTP surface.
 */
export async function startWorkerMetricsServer(
  options: WorkerMetricsServerOptions,
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, contentType = 'application/json') => {
      response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      response.end(body);
    };
    const error = (status: number, code: string, message: string) =>
      answer(status, JSON.stringify({ error: { code, message } }));
    if (path !== '/metrics' && path !== '/healthz') return error(404, 'not_found', 'no such route');
    if (request.method !== 'GET') return error(405, 'method_not_allowed', 'use GET');
    if (path === '/healthz') return answer(200, JSON.stringify({ status: 'ok' }));
    if (!metricsScrapeAllowed(request.headers.authorization, options.token)) {
      return error(401, 'invalid_metrics_token', 'a valid metrics bearer token is required');
    }
    options.metrics.registry.metrics().then(
      (body) => answer(200, body, options.metrics.registry.contentType),
      (failure: unknown) => {
        options.logger.error('metrics-error', {
          event: 'metrics-error',
          error: failure instanceof Error ? failure.message : String(failure),
        });
        error(500, 'internal_error', 'metrics collection failed');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  options.logger.info('metrics-start', {
    event: 'metrics-start',
    port: typeof address === 'object' && address ? address.port : options.port,
  });
  return server;
}
