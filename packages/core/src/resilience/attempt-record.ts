import { z } from 'zod';
import { serviceTierSchema } from '../catalog/service-tier';
import { providerErrorCodeSchema } from '../providers/provider-error';
import { attemptUsageSchema } from './usage-records';

/** How one try at one model ended. */
export const attemptOutcomeSchema = z.enum([
  /** It answered, and its answer is the job's result. */
  'success',
  /** It failed with an error (see `error_code`). */
  'error',
  /** It was not called: its circuit is open or its provider is not configured. */
  'skipped',
  /** A hedged call that lost the race and was aborted. */
  'aborted',
  /** A hedged call that answered, but after the winner. */
  'lost',
  /**
   * A call that started and never ended: its worker died mid-call. The provider probably billed
   * it; its cost is estimated from the prompt (`cost_estimated`).
   */
  'interrupted',
]);
export type AttemptOutcome = z.infer<typeof attemptOutcomeSchema>;

/**
 * One try at one model, as listed on a job's result (snake_case: part of the HTTP surface) and
 * kept in a job's progress across worker attempts (see `jobProgressSchema`, which parses it).
 */
export const attemptRecordSchema = z.object({
  /** Provider account id. */
  provider: z.string(),
  /** Catalog model id. */
  model: z.string(),
  /** The model's deployment that took the call; absent for a model without deployments. */
  deployment: z.string().optional(),
  outcome: attemptOutcomeSchema,
  /** A provider error code, or `circuit_open` / `model_unavailable` for a skipped model. */
  error_code: z
    .union([providerErrorCodeSchema, z.enum(['circuit_open', 'model_unavailable'])])
    .optional(),
  status_code: z.number().optional(),
  /** What the provider asked us to wait before the next call, ms. */
  retry_after_ms: z.number().optional(),
  /** When the call started, epoch ms. */
  started_at: z.number(),
  latency_ms: z.number(),
  /** What the call cost, USD (0 for a failed call). */
  cost_usd: z.number(),
  /**
   * The tokens `cost_usd` prices: the provider's reported usage for a call that answered, the
   * estimated prompt for an aborted hedge, absent for a call that billed nothing. The cost
   * ledger aggregates these per model.
   */
  usage: attemptUsageSchema.optional(),
  /**
   * True when `cost_usd` is an estimate (an aborted hedge or an interrupted call: the prompt was
   * billed, the rest unknown).
   */
  cost_estimated: z.boolean().optional(),
  /** The tier the call ran on, priced at its prices; absent: `standard`. */
  service_tier: serviceTierSchema.optional(),
  /** Which arm of a hedge made the call. */
  hedge: z.enum(['primary', 'secondary']).optional(),
});
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;

export type { AttemptUsage } from './usage-records';
