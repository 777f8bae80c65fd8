import { randomUUID } from 'node:crypto';
import type { JobStore, JobSubmitter, Logger } from '@llmq/core';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import { adminConsoleRouter } from './admin-console/admin-console-router';
import { errorHandler, notFound } from './http/api-error';
import type { ApiSecurity } from './http/api-security';
import { authenticate } from './http/authenticate';
import { cors } from './http/cors';
import { requestTimeout } from './http/request-timeout';
import { scopeGuards } from './http/require-scope';
import { adminRouter } from './routes/admin-router';
import { healthRouter } from './routes/health-router';
import { jobsRouter } from './routes/jobs-router';

export interface AppDependencies {
  redis: Redis;
  queue: Queue;
  store: JobStore;
  submitter: JobSubmitter;
  security: ApiSecurity;
  logger: Logger;
  /** Largest accepted body (env `BODY_LIMIT`). */
  bodyLimit: string;
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

  const { security, logger } = dependencies;
  app.use(
    helmet({
      contentSecurityPolicy: {
        // Served over plain HTTP in development; TLS is the proxy's job.
        directives: { upgradeInsecureRequests: null },
      },
    }),
  );
  app.use(cors(security.corsOrigins));
  app.use(requestTimeout(security.requestTimeoutMs));
  app.use(healthRouter(dependencies.redis));
  // The browser console (Bull Board) authenticates with its own session cookie or a Bearer key.
  app.use(
    adminConsoleRouter({
      authenticator: security.authenticator,
      sessions: security.adminSessions,
      board: security.queueBoard,
      auditLog: security.auditLog,
      logger,
      secureCookie: security.secureCookie,
    }),
  );
  // Authenticate before parsing, so an anonymous client cannot make us read a large body.
  // Every route below needs a key and declares its scope with `requireScope` (see
  // test/route-table.test.ts, which fails for a route that does not).
  app.use(authenticate(security.authenticator, security.auditLog, logger));
  app.use(express.json({ limit: dependencies.bodyLimit, strict: false }));
  const requireScope = scopeGuards({ auditLog: security.auditLog, logger });
  app.use(jobsRouter({ ...dependencies, filterPolicies: security.filterPolicies, requireScope }));
  app.use(
    adminRouter({
      keyStore: security.keyStore,
      auditLog: security.auditLog,
      filterPolicies: security.filterPolicies,
      requireScope,
      logger,
    }),
  );
  app.use(notFound);
  app.use(errorHandler(dependencies.logger));
  return app;
}
