import {
  type JobEventReader,
  type JobStore,
  type JobSubmitter,
  type LlmqMetrics,
  type Logger,
  type RedisKeys,
  tracerName,
} from '@llmq/core';
import { type Tracer, trace } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import { errorHandler, notFound } from './http/api-error';
import type { ApiKeyRegistry } from './http/api-keys';
import { authenticate } from './http/authenticate';
import type { InteractiveJobs } from './interactive/interactive-jobs';
import { metricsRouter } from './observability/metrics-router';
import { requestTelemetry } from './observability/request-telemetry';
import { chatCompletionsRouter } from './routes/chat-completions-router';
import { deadLettersRouter } from './routes/dead-letters-router';
import { healthRouter } from './routes/health-router';
import { jobEventsRouter } from './routes/job-events-router';
import { jobsRouter } from './routes/jobs-router';
import { messagesRouter } from './routes/messages-router';
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
  /** Webhook endpoints, delivery log and replay; the routes are absent without it. */
  webhooks?: WebhookApiDependencies;
  /** Tracer for request spans; the no-op tracer when absent (tracing off). */
  tracer?: Tracer;
  /** This process's metrics; `servedHere` mounts `GET /metrics` on this app (else: internal port). */
  metrics?: { registry: LlmqMetrics; token?: string; servedHere: boolean };
  /**
   * Job events (`GET /v1/jobs/:id/events`) and the OpenAI- and Anthropic-compatible sync and
   * streamed endpoints; left out, those routes answer 404.
   */
  streaming?: { jobs: InteractiveJobs; reader: JobEventReader; keys: RedisKeys };
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
  app.use(express.json({ limit: dependencies.bodyLimit, strict: false }));
  if (dependencies.webhooks)
    app.use(webhooksRouter({ store: dependencies.store, webhooks: dependencies.webhooks }));
  app.use(jobsRouter(dependencies));
  app.use(deadLettersRouter(dependencies));
  if (dependencies.streaming) {
    const { jobs, reader, keys } = dependencies.streaming;
    app.use(
      jobEventsRouter({ store: dependencies.store, redis: dependencies.redis, reader, keys }),
    );
    app.use(chatCompletionsRouter(jobs));
    app.use(messagesRouter(jobs));
  }
  app.use(notFound);
  app.use(errorHandler(dependencies.logger));
  return app;
}
