import { z } from 'zod';
import type { BudgetLimits } from '../cost/budget';
import { toNanoUsd } from '../cost/money';

const optionalUsd = z
  .string()
  .optional()
  .transform((value, context) => {
    if (value === undefined || value.trim() === '') return undefined;
    const dollars = Number(value.trim());
    if (!Number.isFinite(dollars) || dollars < 0) {
      context.addIssue({ code: 'custom', message: 'a number of US dollars, 0 or more' });
      return z.NEVER;
    }
    return dollars;
  });

/** Environment of the cost ledger and budgets, shared by the API and workers. */
export const costEnvShape = {
  /** How long a day of the usage ledger is kept, days (default 400). */
  USAGE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
  /** Default hard daily budget per tenant, USD; unset: none. */
  BUDGET_DAILY_HARD_USD: optionalUsd,
  /** Default soft daily budget per tenant, USD (a metric and a log event); unset: none. */
  BUDGET_DAILY_SOFT_USD: optionalUsd,
  /** Default hard monthly budget per tenant, USD; unset: none. */
  BUDGET_MONTHLY_HARD_USD: optionalUsd,
  /** Default soft monthly budget per tenant, USD; unset: none. */
  BUDGET_MONTHLY_SOFT_USD: optionalUsd,
  /** How long a job's budget reservation holds if the job never ends, seconds (default 6 h). */
  BUDGET_RESERVATION_TTL_SECONDS: z.coerce.number().int().min(60).default(21_600),
  /**
   * How long an API process remembers whether a tenant has a budget of its own, ms (default
   * 5,000; 0: read on every submit). Only matters when no default limit is set.
   */
  BUDGET_CACHE_MS: z.coerce.number().int().min(0).default(5000),
};

/** The default budget limits (nano-dollars) from the parsed environment. */
export function toBudgetDefaults(env: {
  BUDGET_DAILY_HARD_USD?: number;
  BUDGET_DAILY_SOFT_USD?: number;
  BUDGET_MONTHLY_HARD_USD?: number;
  BUDGET_MONTHLY_SOFT_USD?: number;
}): BudgetLimits {
  const nano = (value: number | undefined) => (value === undefined ? undefined : toNanoUsd(value));
  return {
    dailyHard: nano(env.BUDGET_DAILY_HARD_USD),
    dailySoft: nano(env.BUDGET_DAILY_SOFT_USD),
    monthlyHard: nano(env.BUDGET_MONTHLY_HARD_USD),
    monthlySoft: nano(env.BUDGET_MONTHLY_SOFT_USD),
  };
}
