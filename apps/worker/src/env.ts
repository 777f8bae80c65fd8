import { batchEnvShape, parseEnvironment, webhookEnvShape } from '@llmq/core';
import { runnerEnvShape } from '@llmq/runner';
import { z } from 'zod';

/** The worker's configuration: the only place it reads `process.env`. */
export const workerEnvSchema = z.object({
  // What a job run needs (Redis, providers, catalog, filters, caches, cost, tracing, resilience).
  ...runnerEnvShape,
  ...batchEnvShape,
  /**
   * Batch lines (bulk lane) one worker process runs at once, besides `WORKER_CONCURRENCY`.
   * Micro-batches fill only from lines running at once: keep it at least the largest
   * `batching.max_items` of the catalog (times the calls per model wanted in flight).
   */
  BULK_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
  ...webhookEnvShape,
  /** Webhook deliveries one worker process sends at once. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /** An outbox entry a dead relay took is re-taken after this long, ms. */
  WEBHOOK_RELAY_CLAIM_IDLE_MS: z.coerce.number().int().min(100).default(30_000),
  /** Jobs one worker process runs at once (they wait on the network, so this can be high). */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /** Interactive-lane jobs (sync and streamed requests) one worker process runs at once. */
  INTERACTIVE_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /**
   * Tenant-fair priorities inside each lane (`true`/`false`): the batch ingester tags bulk
   * lines, and workers advance each lane's virtual clock. Set the API's to the same value.
   */
  LANE_FAIRNESS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /**
   * Lanes with nothing waiting lend their unused concurrency to lanes with work waiting
   * (`true`/`false`); each lane always keeps its own share.
   */
  LANE_LENDING: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** How often each worker process re-balances its lanes' concurrency, ms. */
  LANE_BALANCE_INTERVAL_MS: z.coerce.number().int().min(20).max(60_000).default(250),
  /**
   * How often a worker tries to sweep accepted jobs whose queue entry a crash lost, and created
   * batches whose ingest and expiry jobs it lost, ms; one worker at a time sweeps each (a Redis
   * lease).
   */
  SUBMISSION_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** How old an accepted job (or a created batch) must be before its missing queue entry counts as lost, ms. */
  SUBMISSION_SWEEP_GRACE_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** How long SIGTERM waits for active jobs before closing anyway, ms. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** BullMQ lock duration, ms: a worker that stops renewing (killed) loses its jobs after this. */
  LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often stalled jobs are looked for, ms (default: the lock duration). */
  STALLED_INTERVAL_MS: z.coerce.number().int().min(500).optional(),
  /** How often a job may stall (its worker died) before it fails with `worker_lost`. */
  MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(2),
  /** Port of the worker's `/metrics` and `/healthz`; 0 picks a free port. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  /** Bind address of the metrics port. */
  WORKER_METRICS_HOST: z.string().default('0.0.0.0'),
  /** Bearer token Prometheus must send to read `/metrics`; unset: open (keep the port internal). */
  METRICS_TOKEN: z.string().min(16).optional(),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/**
 * The API keys of catalog deployments that have their own (`api_key_env` names the variable),
 * read here because this file is the only one that reads `process.env`.
 */
export function readDeploymentKeys(
  names: readonly string[],
  environment: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, environment[name]]));
}

export function loadWorkerEnv(
  environment: Record<string, string | undefined> = process.env,
): WorkerEnv {
  return parseEnvironment(workerEnvSchema, environment);
}
