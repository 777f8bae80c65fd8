import { z } from 'zod';

const perKeyBudgetRefusal =
  'per-key budgets are not enforced; set the tenant budget with PUT /v1/admin/tenants/{tenant}/budget';

/**
 * Per-key limits, enforced by the API across instances through Redis (absent: no limit of
 * that kind): `requests_per_minute` and `tokens_per_minute` over a sliding window,
 * `max_concurrent_jobs` as jobs of the key not yet finished. Budgets are per tenant: the
 * per-key `daily_budget_usd` and `monthly_budget_usd` are refused (see
 * {@link storedApiKeyLimitsSchema} for keys stored before).
 */
export const apiKeyLimitsSchema = z
  .object({
    /** Requests per sliding minute, every route. */
    requests_per_minute: z.number().int().positive().optional(),
    /** Estimated tokens per sliding minute of the job-creating routes (see docs/key-limits.md). */
    tokens_per_minute: z.number().int().positive().optional(),
    /** Jobs of this key queued or running at once. */
    max_concurrent_jobs: z.number().int().positive().optional(),
    /**
     * Jobs of this key running at once, across every worker (more wait queued, spending no
     * attempt); the limit a job was submitted under applies to it.
     */
    max_running_jobs: z.number().int().positive().optional(),
    daily_budget_usd: z.never({ error: perKeyBudgetRefusal }).optional(),
    monthly_budget_usd: z.never({ error: perKeyBudgetRefusal }).optional(),
  })
  .strict();
export type ApiKeyLimits = Pick<
  z.infer<typeof apiKeyLimitsSchema>,
  'requests_per_minute' | 'tokens_per_minute' | 'max_concurrent_jobs' | 'max_running_jobs'
>;

/**
 * Limits as stored with a key. Keys issued before per-key budgets were refused may still hold
 * `daily_budget_usd`/`monthly_budget_usd`: they are read and dropped (never enforced), so such
 * a key keeps authenticating.
 */
export const storedApiKeyLimitsSchema = z
  .object({
    requests_per_minute: z.number().int().positive().optional(),
    tokens_per_minute: z.number().int().positive().optional(),
    max_concurrent_jobs: z.number().int().positive().optional(),
    max_running_jobs: z.number().int().positive().optional(),
  })
  .strip();
