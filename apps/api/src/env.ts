import { batchEnvShape, parseEnvironment, webhookEnvShape } from '@llmq/core';
import { runnerEnvShape } from '@llmq/runner';
import { z } from 'zod';

/** The API's configuration: the only place it reads `process.env`. */
export const apiEnvSchema = z.object({
  // What a job run needs (the sync jobs run here, `INLINE_CONCURRENCY`): Redis, providers,
  // catalog, filters, caches, cost, tracing, resilience, rate limits, as the workers read them.
  ...runnerEnvShape,
  ...batchEnvShape,
  ...webhookEnvShape,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /**
   * API keys as `tenant:key` pairs, comma separated. When unset outside production the dev
   * key `llmq-dev-key` (tenant `dev`) is accepted, with a warning at start.
   */
  API_KEYS: z.string().optional(),
  /** Largest accepted request body (bytes, or a size such as `1mb`). */
  BODY_LIMIT: z.string().default('1mb'),
  /**
   * A key registered at start with the `admin` scope (tenant `admin`, id `000000000000`), so a
   * new install can create its first keys. At least 24 characters. Unset: no bootstrap key.
   */
  ADMIN_API_KEY: z.string().min(24, 'at least 24 characters').optional(),
  /** How long an API key lookup is cached in each API process, ms (revocations are pushed). */
  API_KEY_CACHE_MS: z.coerce.number().int().min(0).default(5000),
  /** Audit entries older than this many days are trimmed. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
  /** At most this many audit entries are kept. */
  AUDIT_MAX_ENTRIES: z.coerce.number().int().positive().default(100_000),
  /** Origins allowed to call the API from a browser, comma separated; unset: CORS off. */
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  /**
   * A handler that has not answered after this many ms gets a retryable 503 `request_timeout`;
   * the sync endpoints wait for their job up to `SYNC_WAIT_TIMEOUT_MS` instead.
   */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /**
   * How long an idle keep-alive connection stays open, ms. Longer than the usual 60 s idle
   * timeout of load balancers and client pools, so the server is never the side that closes a
   * connection a client is about to reuse (the client's POST would fail with "other side
   * closed"; Node's default is 5 s).
   */
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(65_000),
  /** Largest accepted request head (headers), bytes. */
  MAX_HEADER_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(16_384),
  /** How long an admin console (Bull Board) sign-in lasts, seconds. */
  ADMIN_SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(8 * 3600),
  /**
   * Whether anyone may open the API reference at `GET /docs` without a key (`true`/`false`).
   * Unset: open when `NODE_ENV` is not `production`; in production it needs a key with
   * `jobs:read` or a signed-in admin console session.
   */
  API_REFERENCE_OPEN: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true')),
  /** Mark the admin session cookie `Secure` (serve the console over HTTPS). */
  ADMIN_COOKIE_SECURE: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((value) => value === 'true' || value === '1'),
  /**
   * Bearer token Prometheus must send to read `/metrics`. With `METRICS_PORT` unset, production
   * requires it: the metrics would otherwise be public on the API port.
   */
  METRICS_TOKEN: z.string().min(16).optional(),
  /**
   * Serve `/metrics` on this separate (internal, not published) port instead of the API port;
   * 0 picks a free port.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /**
   * How long `/v1/chat/completions` and `/v1/messages` wait for their job, ms; past it the
   * answer is `504 job_wait_timeout` with the job id and `x-should-retry: false`, and the job
   * keeps running. These routes are not cut by `REQUEST_TIMEOUT_MS`. Keep it below the
   * clients' own timeout (10 minutes in the official SDKs), which they retry.
   */
  SYNC_WAIT_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  /**
   * How often a streamed answer of `/v1/chat/completions` (an SSE comment) or `/v1/messages`
   * (a `ping` event) sends a keep-alive, ms, so idle proxies keep a stream waiting for its job.
   */
  STREAM_KEEPALIVE_MS: z.coerce.number().int().min(10).default(15_000),
  /**
   * Whether a sync or streamed client that disconnects cancels its job (`true`/`false`); a
   * request overrides it with `x-llmq-cancel-on-disconnect`.
   */
  CANCEL_ON_DISCONNECT: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /**
   * Tenant-fair priorities inside each lane (`true`/`false`): jobs are tagged so one tenant's
   * backlog cannot starve another tenant in the same lane. Set the workers' to the same value.
   */
  LANE_FAIRNESS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /**
   * Requests per minute per API key, for keys whose stored limits set no
   * `requests_per_minute` (those are enforced as stored); 0: no default limit. Shared by every
   * API instance through Redis.
   */
  RATE_LIMIT_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  /**
   * Non-streamed sync prompt jobs (chat completions, messages, responses) this API process runs
   * itself, with the job runner the workers use, while the interactive lane has nothing waiting;
   * 0: none, every job goes to the workers. Above 0 the API calls providers: give it the
   * workers' provider keys and their provider, catalog, cache, resilience and rate-limit
   * settings. Default 50, a worker process's `INTERACTIVE_CONCURRENCY`: measured against 4, 2
   * and 0 at c=50 and c=1 (docs/performance.md, session 17), no smaller value was better.
   */
  INLINE_CONCURRENCY: z.coerce.number().int().min(0).max(1000).default(50),
  /**
   * BullMQ's lock on a sync job run here, ms, as the workers' `LOCK_DURATION_MS` (set both
   * alike): renewed while the job runs; when this process dies, a worker runs the job again
   * once the lock has lapsed.
   */
  LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  /**
   * How long a stopping API waits for the sync jobs running here, ms; those still running then
   * are left to their locks (a worker runs them again once a lock lapses).
   */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

/** Whether `GET /docs` opens without a key: `API_REFERENCE_OPEN`, else outside production. */
export function apiReferenceOpen(env: Pick<ApiEnv, 'API_REFERENCE_OPEN' | 'NODE_ENV'>): boolean {
  return env.API_REFERENCE_OPEN ?? env.NODE_ENV !== 'production';
}

/**
 * The API keys of catalog deployments that have their own (`api_key_env` names the variable),
 * for the sync jobs this process runs; read here because this file is the only one that reads
 * `process.env`.
 */
export function readDeploymentKeys(
  names: readonly string[],
  environment: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, environment[name]]));
}

export function loadApiEnv(environment: Record<string, string | undefined> = process.env): ApiEnv {
  return parseEnvironment(apiEnvSchema, environment);
}
