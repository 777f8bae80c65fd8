import { batchEnvShape, commonEnvShape, parseEnvironment, providerEnvShape } from '@llmq/core';
import { z } from 'zod';

/** The worker's configuration: the only place it reads `process.env`. */
export const workerEnvSchema = z.object({
  ...commonEnvShape,
  ...providerEnvShape,
  ...batchEnvShape,
  /** Batch lines (bulk lane) one worker process runs at once, besides `WORKER_CONCURRENCY`. */
  BULK_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
  /** Jobs one worker process runs at once (they wait on the network, so this can be high). */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /** How long SIGTERM waits for active jobs before closing anyway, ms. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** BullMQ lock duration, ms: a worker that stops renewing (killed) loses its jobs after this. */
  LOCK_DURATION_MS: z.coerce.number().int().min(1000).default(30_000),
  /** How often stalled jobs are looked for, ms (default: the lock duration). */
  STALLED_INTERVAL_MS: z.coerce.number().int().min(500).optional(),
  /** How often a job may stall (its worker died) before it fails with `worker_lost`. */
  MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(2),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function loadWorkerEnv(
  environment: Record<string, string | undefined> = process.env,
): WorkerEnv {
  return parseEnvironment(workerEnvSchema, environment);
}
