import { createServer, type Server } from 'node:http';
import type { LlmqMetrics, Logger } from '@llmq/core';
import express from 'express';
import { errorHandler, notFound } from '../http/api-error';
import { metricsRouter } from './metrics-router';

export interface MetricsServerOptions {
  metrics: LlmqMetrics;
  /** Bearer token, as on the API port (env `METRICS_TOKEN`); unset: open on this internal port. */
  token?: string;
  /** Env `METRICS_PORT`; 0 picks a free port. */
  port: number;
  host: string;
  logger: Logger;
}

/** Serves only `GET /metrics` on a port of its own, kept off the public API port. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRouter({ metrics: options.metrics, token: options.token }));
  app.use(notFound);
  app.use(errorHandler(options.logger));
  const server = createServer(app);
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
