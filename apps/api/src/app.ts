import { randomUUID } from 'node:crypto';
import type {
  BatchLimits,
  BatchService,
  BatchStore,
  FileStorage,
  JobStore,
  JobSubmitter,
  Logger,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import { errorHandler, notFound } from './http/api-error';
import type { ApiKeyRegistry } from './http/api-keys';
import { authenticate } from './http/authenticate';
import { batchesRouter } from './routes/batches-router';
import { filesRouter } from './routes/files-router';
import { healthRouter } from './routes/health-router';
import { jobsRouter } from './routes/jobs-router';

export interface AppDependencies {
  redis: Redis;
  queue: Queue;
  store: JobStore;
  submitter: JobSubmitter;
  apiKeys: ApiKeyRegistry;
  logger: Logger;
  /** Largest accepted body (env `BODY_LIMIT`). */
  bodyLimit: string;
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

  app.use((request, response, next) => {
    const incoming = request.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    response.locals.requestId = requestId;
    response.setHeader('X-Request-Id', requestId);
    const startedAt = process.hrtime.bigint();
    response.on('finish', () => {
      dependencies.logger.http('http-request', {
        event: 'http-request',
        request_id: requestId,
        tenant: response.locals.tenant,
        method: request.method,
        route: request.route?.path ?? null,
        status: response.statusCode,
        duration_ms: Number(process.hrtime.bigint() - startedAt) / 1e6,
      });
    });
    next();
  });

  app.use(healthRouter(dependencies.redis));
  // Authenticate before parsing, so an anonymous client cannot make us read a large body.
  app.use(authenticate(dependencies.apiKeys));
  // Uploads are multipart and streamed into file storage, so they come before the JSON parser.
  app.use(filesRouter({ files: dependencies.files, limits: dependencies.batchLimits }));
  app.use(express.json({ limit: dependencies.bodyLimit, strict: false }));
  app.use(jobsRouter(dependencies));
  app.use(batchesRouter(dependencies));
  app.use(notFound);
  app.use(errorHandler(dependencies.logger));
  return app;
}
