import { z } from 'zod';

/**
 * Per-key limits and budgets. Stored with the key; the throughput and cost work enforces them.
 * Every field is optional: absent means no limit of that kind.
 */
export const apiKeyLimitsSchema = z
  .object({
    requests_per_minute: z.number().int().positive().optional(),
    tokens_per_minute: z.number().int().positive().optional(),
    max_concurrent_jobs: z.number().int().positive().optional(),
    daily_budget_usd: z.number().positive().optional(),
    monthly_budget_usd: z.number().positive().optional(),
  })
  .strict();
export type ApiKeyLimits = z.infer<typeof apiKeyLimitsSchema>;
