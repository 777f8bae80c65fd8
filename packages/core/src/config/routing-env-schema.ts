import { z } from 'zod';
import { defaultModelCatalogPath } from '../catalog/load-model-catalog';
import type { CircuitBreakerOptions } from '../resilience/circuit-breaker';
import type { RetryPolicy } from '../resilience/retry-policy';

/** Where the model catalog lives; read by the API and the worker. */
export const catalogEnvShape = {
  /** Path of the YAML model catalog; default the shipped `config/models.yaml`. */
  MODEL_CATALOG_PATH: z.string().min(1).default(defaultModelCatalogPath),
};

/** Retry and circuit-breaker tuning of the worker (see RetryPolicy, CircuitBreakerOptions). */
export const resilienceEnvShape = {
  RETRY_MAX_PER_MODEL: z.coerce.number().int().min(0).max(10).default(2),
  RETRY_BASE_DELAY_MS: z.coerce.number().int().min(1).default(250),
  RETRY_MAX_DELAY_MS: z.coerce.number().int().min(1).default(8000),
  RETRY_MAX_INLINE_WAIT_MS: z.coerce.number().int().min(0).default(2000),
  CIRCUIT_CONSECUTIVE_FAILURES: z.coerce.number().int().min(1).default(5),
  CIRCUIT_FAILURE_RATIO: z.coerce.number().gt(0).max(1).default(0.5),
  CIRCUIT_MIN_REQUESTS: z.coerce.number().int().min(1).default(20),
  CIRCUIT_WINDOW_MS: z.coerce.number().int().min(100).default(30_000),
  CIRCUIT_COOLDOWN_MS: z.coerce.number().int().min(10).default(30_000),
  CIRCUIT_HALF_OPEN_PROBES: z.coerce.number().int().min(1).default(1),
};

const resilienceEnvSchema = z.object(resilienceEnvShape);
type ResilienceEnv = z.infer<typeof resilienceEnvSchema>;

export function toRetryPolicy(env: ResilienceEnv): RetryPolicy {
  return {
    maxRetriesPerModel: env.RETRY_MAX_PER_MODEL,
    baseDelayMs: env.RETRY_BASE_DELAY_MS,
    maxDelayMs: env.RETRY_MAX_DELAY_MS,
    maxInlineWaitMs: env.RETRY_MAX_INLINE_WAIT_MS,
  };
}

export function toCircuitBreakerOptions(env: ResilienceEnv): Partial<CircuitBreakerOptions> {
  return {
    consecutiveFailures: env.CIRCUIT_CONSECUTIVE_FAILURES,
    failureRatio: env.CIRCUIT_FAILURE_RATIO,
    minimumRequests: env.CIRCUIT_MIN_REQUESTS,
    windowMs: env.CIRCUIT_WINDOW_MS,
    cooldownMs: env.CIRCUIT_COOLDOWN_MS,
    halfOpenProbes: env.CIRCUIT_HALF_OPEN_PROBES,
  };
}
