import {
  type BatchLimits,
  type BatchService,
  type BatchStore,
  type BudgetStore,
  type CachePolicyStore,
  type FileStorage,
  type IdempotencyStore,
  type JobEventReader,
  type JobStore,
  type JobSubmitter,
  type LaneThroughput,
  type LlmqMetrics,
  type Logger,
  type MessageBatchService,
  type ModelCatalog,
  type RedisKeys,
  type ResponseStore,
  type TenantFlowStore,
  tracerName,
} from '@llmq/core';
import { type Tracer, trace } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import express, { type Express, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { adminConsoleRouter } from './admin-console/admin-console-router';
import { errorHandler, notFound } from './http/api-error';
import type { ApiSecurity } from './http/api-security';
import { authenticate } from './http/authenticate';
import { cors } from './http/cors';
import { jsonBody } from './http/json-body';
import { type KeyLimitOptions, keyLimits } from './http/key-limits';
import { middlewareChain } from './http/middleware-chain';
import { atOrBelow, outsideApi, pathGate } from './http/path-gate';
import { type RateLimitOptions, rateLimit } from './http/rate-limit';
import { requestTimeout } from './http/request-timeout';
import { requireRedis } from './http/require-redis';
import { scopeGuards } from './http/require-scope';
import { securityHeaders } from './http/security-headers';
import type { InteractiveJobs } from './interactive/interactive-jobs';
import { metricsRouter } from './observability/metrics-router';
import { requestTelemetry } from './observability/request-telemetry';
import { openApiDocumentOf } from './openapi/openapi-document';
import { adminRouter } from './routes/admin-router';
import { apiReferenceRouter } from './routes/api-reference-router';
import { batchesRouter } from './routes/batches-router';
import { budgetAdminRouter } from './routes/budget-admin-router';
import { chatCompletionsRouter } from './routes/chat-completions-router';
import { countTokensRouter } from './routes/count-tokens-router';
import { deadLettersRouter } from './routes/dead-letters-router';
import { docsRouter } from './routes/docs-router';
import { endpointRequestsRouter } from './routes/endpoint-requests-router';
import { estimateRouter } from './routes/estimate-router';
import { filesRouter } from './routes/files-router';
import { flowAdminRouter } from './routes/flow-admin-router';
import { healthRouter } from './routes/health-router';
import { jobAdminRouter } from './routes/job-admin-router';
import { jobEventsRouter } from './routes/job-events-router';
import { jobsRouter } from './routes/jobs-router';
import { messageBatchesBodyParser, messageBatchesRouter } from './routes/message-batches-router';
import { messagesRouter } from './routes/messages-router';
import { modelsRouter } from './routes/models-router';
import { responsesRouter } from './routes/responses-router';
import { usageRouter } from './routes/usage-router';
import { type WebhookApiDependencies, webhooksRouter } from './routes/webhooks-router';

/** The API's version, as its OpenAPI document states it (apps/api/package.json). */
const apiVersion = '0.1.0';

export interface AppDependencies {
  redis: Redis;
  queue: Queue;
  /** The interactive lane's queue: sync jobs' requests (`include=request`), their queue position. */
  interactiveQueue?: Queue;
  store: JobStore;
  submitter: JobSubmitter;
  security: ApiSecurity;
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
  /**
   * Job events (`GET /v1/jobs/:id/events`) and the OpenAI- and Anthropic-compatible sync and
   * streamed endpoints; left out, those routes answer 404.
   */
  streaming?: {
    jobs: InteractiveJobs;
    reader: JobEventReader;
    keys: RedisKeys;
    /** Stored Responses API responses: `/v1/responses` is absent without it. */
    responses?: ResponseStore;
  };
  /** Tenants' cache policies: `/v1/admin/tenants/:tenant/cache-policy` is absent without it. */
  cachePolicies?: CachePolicyStore;
  /**
   * Anyone may open the browser API reference (`GET /docs`) without a key; absent or false: a
   * key with `jobs:read` or an admin console session (env `API_REFERENCE_OPEN`).
   */
  apiReferenceOpen?: boolean;
  /** The model catalog: `GET /v1/models` and `POST /v1/messages/count_tokens` are absent without it. */
  catalog?: ModelCatalog;
  /** Per API key request-rate limits (429 `rate_limited`); absent: no gateway limit. */
  rateLimits?: RateLimitOptions;
  /** Per-key `max_concurrent_jobs` and `tokens_per_minute` (429 `rate_limited`); absent: not enforced. */
  keyLimits?: Omit<KeyLimitOptions, 'logger'>;
  /** `GET /v1/usage`, `POST /v1/estimate` and the tenant budget admin routes; absent: 404. */
  cost?: CostApiDependencies;
  /** Flow control: `/v1/admin/tenants/:tenant/flow` (lane weights, running-job caps); absent: 404. */
  flow?: FlowApiDependencies;
}

/** What the flow-control routes need. */
export interface FlowApiDependencies {
  flows: TenantFlowStore;
  /** Lanes' measured starts per second: a queued job's wait estimate; absent, no `queue`. */
  throughput?: LaneThroughput;
}

/** What the usage, estimate and budget routes need. */
export interface CostApiDependencies {
  keys: RedisKeys;
  catalog: ModelCatalog;
  /** Model used when a request names none (env `DEFAULT_MODEL`). */
  defaultModel: string;
  budgets: BudgetStore;
}

/** What the `/v1/files` and `/v1/batches` routes need. */
export interface BatchApiDependencies {
  files: FileStorage;
  batches: BatchService;
  batchStore: BatchStore;
  batchLimits: BatchLimits;
  /** Idempotency-Key claims of created files and batches. */
  idempotency: IdempotencyStore;
  /** Anthropic Message Batches (`/v1/messages/batches`); the routes are absent without it. */
  messageBatches?: MessageBatchService;
}

/** Builds the HTTP app; `main.ts` wires real dependencies, tests wire their own. */
export function createApp(dependencies: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const { security, logger } = dependencies;
  // The middleware every request passes runs as two layers of the app, not fifteen (see
  // http/middleware-chain): the edge, then authentication and what needs it. Their order is
  // the order below.
  const edge: RequestHandler[] = [
    requestTelemetry({
      logger: dependencies.logger,
      tracer: dependencies.tracer ?? trace.getTracer(tracerName),
      metrics: dependencies.metrics?.registry,
    }),
    securityHeaders(),
    cors(security.corsOrigins),
    requestTimeout(security.requestTimeoutMs),
  ];
  // The routers before `authenticate` serve paths outside /v1/ only: an API request passes them
  // without entering them (see http/path-gate).
  const outside: RequestHandler[] = [healthRouter(dependencies.redis)];
  // Scrapers carry no API key: /metrics has its own token (or lives on the internal port).
  if (dependencies.metrics?.servedHere)
    outside.push(
      metricsRouter({
        metrics: dependencies.metrics.registry,
        token: dependencies.metrics.token,
      }),
    );
  // The browser console (Bull Board) authenticates with its own session cookie or a Bearer key.
  outside.push(
    adminConsoleRouter({
      authenticator: security.authenticator,
      sessions: security.adminSessions,
      board: security.queueBoard,
      auditLog: security.auditLog,
      logger,
      secureCookie: security.secureCookie,
      jobs: dependencies.store,
    }),
  );
  // The browser API reference has its own guard (open in development; a key or the console's
  // session in production); its scripts are public code.
  const documentOf = openApiDocumentOf(apiVersion);
  outside.push(
    apiReferenceRouter({
      open: dependencies.apiReferenceOpen ?? false,
      authenticator: security.authenticator,
      sessions: security.adminSessions,
      auditLog: security.auditLog,
      logger,
      documentOf,
    }),
  );
  edge.push(pathGate(outsideApi, middlewareChain(outside)));
  app.use(middlewareChain(edge));
  // Authenticate before parsing, so an anonymous client cannot make us read a large body.
  // Every route below needs a key and declares its scope with `requireScope` (see
  // test/route-table.test.ts, which fails for a route that does not).
  const guarded: RequestHandler[] = [
    authenticate(security.authenticator, security.auditLog, logger),
    // While Redis is down every route below answers 503 at once (health checks come earlier).
    requireRedis(dependencies.redis),
  ];
  if (dependencies.rateLimits) guarded.push(rateLimit(dependencies.rateLimits));
  const requireScope = scopeGuards({ auditLog: security.auditLog, logger });
  // Uploads are multipart and streamed into file storage, so they come before the JSON parser.
  const { batchApi } = dependencies;
  if (batchApi) {
    guarded.push(
      pathGate(
        atOrBelow('/v1/files'),
        filesRouter({
          files: batchApi.files,
          limits: batchApi.batchLimits,
          idempotency: batchApi.idempotency,
          batchStore: batchApi.batchStore,
          requireScope,
        }),
      ),
    );
  }
  // A Message Batch may be far larger than BODY_LIMIT: its own parser comes first.
  if (batchApi?.messageBatches)
    guarded.push(messageBatchesBodyParser(batchApi.messageBatches.limits.maxBodyBytes));
  guarded.push(jsonBody({ limit: dependencies.bodyLimit }));
  if (dependencies.keyLimits) guarded.push(keyLimits({ ...dependencies.keyLimits, logger }));
  app.use(middlewareChain(guarded));
  // The hot routes first: Express enters every router mounted before a request's route, matches
  // its routes and leaves it with a setImmediate (~2–3 µs each), so the submit and the sync
  // endpoints come before the dozen others. No two routers share a method and path, so the order changes nothing
  // else (apps/api/test/auth-matrix.test.ts checks each method and path is declared once). Each
  // is entered only for its own paths, so a sync request does not cross the jobs router.
  app.use(
    pathGate(
      atOrBelow('/v1/jobs'),
      jobsRouter({
        ...dependencies,
        ...(dependencies.flow?.throughput ? { throughput: dependencies.flow.throughput } : {}),
        filterPolicies: security.filterPolicies,
        requireScope,
      }),
    ),
  );
  if (dependencies.streaming) {
    app.use(
      pathGate(
        atOrBelow('/v1/chat/completions'),
        chatCompletionsRouter(dependencies.streaming.jobs, requireScope),
      ),
    );
    app.use(
      pathGate(
        atOrBelow('/v1/messages'),
        messagesRouter(dependencies.streaming.jobs, requireScope),
      ),
    );
  }
  if (dependencies.webhooks)
    app.use(
      webhooksRouter({
        store: dependencies.store,
        webhooks: dependencies.webhooks,
        requireScope,
        auditLog: security.auditLog,
      }),
    );
  if (batchApi) app.use(batchesRouter({ ...batchApi, requireScope }));
  if (batchApi?.messageBatches)
    app.use(
      messageBatchesRouter({
        messageBatches: batchApi.messageBatches,
        idempotency: batchApi.idempotency,
        requireScope,
      }),
    );
  app.use(deadLettersRouter({ ...dependencies, requireScope }));
  if (dependencies.catalog) {
    app.use(modelsRouter({ catalog: dependencies.catalog, requireScope }));
    app.use(countTokensRouter({ catalog: dependencies.catalog, requireScope }));
  }
  app.use(jobAdminRouter({ ...dependencies, auditLog: security.auditLog, requireScope }));
  if (dependencies.cost) {
    const { keys, catalog, defaultModel, budgets } = dependencies.cost;
    app.use(usageRouter({ redis: dependencies.redis, keys, requireScope }));
    app.use(estimateRouter({ catalog, defaultModel, requireScope }));
    app.use(budgetAdminRouter({ budgets, auditLog: security.auditLog, requireScope }));
  }
  if (dependencies.streaming) {
    const { jobs, reader, keys } = dependencies.streaming;
    app.use(
      jobEventsRouter({
        store: dependencies.store,
        redis: dependencies.redis,
        reader,
        keys,
        requireScope,
      }),
    );
    app.use(endpointRequestsRouter(jobs, requireScope));
    if (dependencies.streaming.responses) {
      app.use(
        responsesRouter({
          jobs,
          store: dependencies.store,
          reader,
          responses: dependencies.streaming.responses,
          redis: dependencies.redis,
          keys,
          requireScope,
        }),
      );
    }
  }
  app.use(
    adminRouter({
      keyStore: security.keyStore,
      auditLog: security.auditLog,
      filterPolicies: security.filterPolicies,
      ...(dependencies.cachePolicies ? { cachePolicies: dependencies.cachePolicies } : {}),
      requireScope,
      logger,
    }),
  );
  if (dependencies.flow)
    app.use(
      flowAdminRouter({
        flows: dependencies.flow.flows,
        auditLog: security.auditLog,
        requireScope,
      }),
    );
  app.use(docsRouter(requireScope, documentOf));
  app.use(notFound);
  app.use(errorHandler(dependencies.logger));
  return app;
}
