import { z } from 'zod';
import { fromNanoUsd, type NanoUsd, toNanoUsd } from './money';

const limitUsd = z.number().min(0).max(1_000_000_000).nullable().optional();

/**
 * A tenant's budget as the admin API takes it, USD. A hard limit refuses submits whose
 * estimated cost would pass it (`budget_exceeded`); a soft one only raises a metric and a log
 * event. A field left out takes the server default (env `BUDGET_*_USD`); `null` means no limit
 * for this tenant whatever the default.
 */
export const budgetSchema = z
  .object({
    daily_hard_usd: limitUsd,
    daily_soft_usd: limitUsd,
    monthly_hard_usd: limitUsd,
    monthly_soft_usd: limitUsd,
  })
  .strict();
export type BudgetInput = z.infer<typeof budgetSchema>;

/** The four limits, nano-dollars; undefined: no limit. */
export interface BudgetLimits {
  dailyHard?: NanoUsd;
  dailySoft?: NanoUsd;
  monthlyHard?: NanoUsd;
  monthlySoft?: NanoUsd;
}

export const budgetFields = {
  dailyHard: 'daily_hard',
  dailySoft: 'daily_soft',
  monthlyHard: 'monthly_hard',
  monthlySoft: 'monthly_soft',
} as const;

/** Redis hash fields of a budget: nano-dollars, `-1` for an explicit "no limit". */
export function budgetToFields(input: BudgetInput): Record<string, string> {
  const fields: Record<string, string> = {};
  const pairs: Array<[keyof BudgetLimits, number | null | undefined]> = [
    ['dailyHard', input.daily_hard_usd],
    ['dailySoft', input.daily_soft_usd],
    ['monthlyHard', input.monthly_hard_usd],
    ['monthlySoft', input.monthly_soft_usd],
  ];
  for (const [name, value] of pairs) {
    if (value === undefined) continue;
    fields[budgetFields[name]] = value === null ? '-1' : String(toNanoUsd(value));
  }
  return fields;
}

/** The stored fields back in the admin API's shape (absent fields stay absent). */
export function budgetFromFields(fields: Record<string, string>): BudgetInput {
  const out: BudgetInput = {};
  const read = (field: string) => {
    const raw = fields[field];
    if (raw === undefined) return undefined;
    return raw === '-1' ? null : fromNanoUsd(Number(raw));
  };
  const set = (key: keyof BudgetInput, field: string) => {
    const value = read(field);
    if (value !== undefined) out[key] = value;
  };
  set('daily_hard_usd', budgetFields.dailyHard);
  set('daily_soft_usd', budgetFields.dailySoft);
  set('monthly_hard_usd', budgetFields.monthlyHard);
  set('monthly_soft_usd', budgetFields.monthlySoft);
  return out;
}

/** Limits in USD, for reports (null: no limit). */
export function limitsInUsd(limits: BudgetLimits): Required<{
  [K in keyof BudgetInput]-?: number | null;
}> {
  const usd = (value: NanoUsd | undefined) => (value === undefined ? null : fromNanoUsd(value));
  return {
    daily_hard_usd: usd(limits.dailyHard),
    daily_soft_usd: usd(limits.dailySoft),
    monthly_hard_usd: usd(limits.monthlyHard),
    monthly_soft_usd: usd(limits.monthlySoft),
  };
}
