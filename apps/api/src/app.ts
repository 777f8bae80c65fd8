import {
  type BatchLimits,
  type BatchService,
  type BatchStore,
  type FileStorage,
  type JobStore,
  type JobSubmitter,
  type LlmqMetrics,
  type Logger,
  tracerName,
} from '@llmq/core';
import { type Tracer, trace } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import { errorHandler, notFound } from './http/api-error';
import type { ApiKeyRegistry } from './http/api-keys';
import { authenticate } from './http/authenticate';
import { metricsRouter } from './observability/metrics-router';
import { requestTelemetry } from './observability/request-telemetry';
import { batchesRouter } from './routes/batches-router';
import { deadLettersRouter } from './routes/dead-letters-router';
import { filesRouter } from './routes/files-router';
import { healthRouter } from './routes/health-router';
import { jobsRouter } from './routes/jobs-router';
import { type WebhookApiDependencies, webhooksRouter } from './routes/webhooks-router';

export interface AppDependencies {
  redis: Redis;
  queue: Queue;
  store: JobStore;
  submitter: JobSubmitter;
  apiKeys: ApiKeyRegistry;
  logger: Logger;
  /** Largest accepted body (env `BODY_LIMIT`). */
  bodyLimit: string;
  /** Files and batches (OpenAI Batch API); the routes are absent without it. */
  batchApi?: BatchApiDependencies;
  /** Webhook endpoints, delivery log and replay; the routes are absent without it. */
  webhooks?: WebhookApiDependencies;
  /** Tracer for request spans; the no-op tracer when absent (tracing off). */
  tracer?: Tracer;
  /** This process's metrics; `servedHere` mounts `GET /metrics` on this app (else: internal port). */
  metrics?: { registry: LlmqMetrics; token?: string; servedHere: boolean };
}

/** What the `/v1/files` and `/v1/batches` routes need. */
export interface BatchApiDependencies {
  files: FileStorage;
  batches: BatchService;
  batchStore: BatchStore;
  batchLimits: BatchLimits;
}

/** Builds the HTTP app; `main.ts` wires real dependencies, tests wire their own. */
export function createApp(dependencies: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(
    requestTelemetry({
      logger: dependencies.logger,
      tracer: dependencies.tracer ?? trace.getTracer(tracerName),
      metrics: dependencies.metrics?.registry,
    }),
  );

  app.use(healthRouter(dependencies.redis));
  // Scrapers carry no API key: /metrics has its own token (or lives on the internal port).
  if (dependencies.metrics?.servedHere)
    app.use(
      metricsRouter({ metrics: dependencies.metrics.registry, token: dependencies.metrics.token }),
    );
  // Authenticate before parsing, so an anonymous client cannot make us read a large body.
  app.use(authenticate(dependencies.apiKeys));
  // Uploads are multipart and streamed into file storage, so they come before the JSON parser.
  const { batchApi } = dependencies;
  if (batchApi) app.use(filesRouter({ files: batchApi.files, limits: batchApi.batchLimits }));
  app.use(express.json({ limit: dependencies.bodyLimit, strict: false }));
  if (dependencies.webhooks)
    app.use(webhooksRouter({ store: dependencies.store, webhooks: dependencies.webhooks }));
  app.use(jobsRouter(dependencies));
  if (batchApi) app.use(batchesRouter(batchApi));
  app.use(deadLettersRouter(dependencies));
  app.use(notFound);
  app.use(errorHandler(dependencies.logger));
  return app;
}
