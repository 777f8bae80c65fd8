import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ServiceTier } from '../catalog/service-tier';
import type { RedisKeys } from '../redis/redis-keys';
import { fromNanoUsd } from './money';
import { daysBetween, utcDay } from './utc-period';

/** Longest range one report covers, days. */
export const maxUsageReportDays = 366;

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/** A day (`YYYY-MM-DD`, UTC) or unix seconds (the UTC day holding that instant). */
const reportDaySchema = z
  .string()
  .trim()
  .refine((value) => dayPattern.test(value) || /^\d{1,12}$/.test(value), {
    message: 'a date (YYYY-MM-DD) or unix seconds',
  })
  .transform((value, context) => {
    const day = dayPattern.test(value) ? value : utcDay(Number(value) * 1000);
    if (
      Number.isNaN(Date.parse(`${day}T00:00:00Z`)) ||
      utcDay(Date.parse(`${day}T00:00:00Z`)) !== day
    ) {
      context.addIssue({ code: 'custom', message: 'not a calendar date' });
      return z.NEVER;
    }
    return day;
  });

const groupBySchema = z.enum(['model', 'day', 'tier']);
export type UsageGroupBy = z.infer<typeof groupBySchema>;

/**
 * Query of `GET /v1/usage`: `start` and `end` (inclusive UTC days; default the last 30 days
 * up to today), `group_by` any of `model`, `day` and `tier` (`group_by=model,tier` or repeated).
 */
export const usageQuerySchema = z
  .object({
    start: reportDaySchema.optional(),
    end: reportDaySchema.optional(),
    group_by: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .transform((value) =>
        value === undefined
          ? []
          : (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')),
      )
      .pipe(z.array(groupBySchema).max(3)),
  })
  .strict();
export type UsageQuery = z.input<typeof usageQuerySchema>;

/** Sums of one group (snake_case: part of the HTTP surface). */
export interface UsageAmounts {
  /** Spend, USD (exactly `cost_nano_usd` / 1e9). */
  cost_usd: number;
  /** Spend in integer nano-dollars: the exact figure sums are made of. */
  cost_nano_usd: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  /** Billed provider calls. */
  calls: number;
  cache_hits: number;
  saved_cost_usd: number;
  saved_tokens: number;
}

export interface UsageRow extends UsageAmounts {
  /** Present when grouped by day. */
  day?: string;
  /** Present when grouped by model. */
  model?: string;
  /** Present when grouped by tier: `standard`, `flex` or `batch`. */
  tier?: ServiceTier;
}

export interface UsageReport {
  object: 'usage.report';
  start: string;
  end: string;
  group_by: UsageGroupBy[];
  data: UsageRow[];
  totals: UsageAmounts;
  /** Spend per tier over the range, USD (every tier listed, 0 when unused). */
  cost_by_tier_usd: Record<ServiceTier, number>;
}

/** A ledger field split into its model, tier and amount kind (see `appendLedgerFields`). */
function parseLedgerField(field: string): { model: string; tier: ServiceTier; kind: string } {
  const separator = field.lastIndexOf('|');
  const kind = field.slice(separator + 1);
  const rest = field.slice(0, separator);
  for (const tier of ['flex', 'batch'] as const) {
    if (rest.endsWith(`|${tier}`)) return { model: rest.slice(0, -tier.length - 1), tier, kind };
  }
  return { model: rest, tier: 'standard', kind };
}

const amountFields = {
  cost: 'cost_nano_usd',
  input: 'input_tokens',
  cached_input: 'cached_input_tokens',
  output: 'output_tokens',
  calls: 'calls',
  cache_hits: 'cache_hits',
  saved_cost: 'saved_nano_usd',
  saved_tokens: 'saved_tokens',
} as const;
type RawAmounts = Record<(typeof amountFields)[keyof typeof amountFields], number>;

function emptyAmounts(): RawAmounts {
  return {
    cost_nano_usd: 0,
    input_tokens: 0,
    cached_input_tokens: 0,
    output_tokens: 0,
    calls: 0,
    cache_hits: 0,
    saved_nano_usd: 0,
    saved_tokens: 0,
  };
}

function present(raw: RawAmounts): UsageAmounts {
  const { saved_nano_usd, ...rest } = raw;
  return {
    ...rest,
    cost_usd: fromNanoUsd(raw.cost_nano_usd),
    saved_cost_usd: fromNanoUsd(saved_nano_usd),
  };
}

/**
 * Reads one tenant's ledger over a range of days (one pipelined `HGETALL` per day) and sums
 * it by the requested groups. The tenant comes from the caller's key, never from the query.
 */
export async function readUsageReport(
  redis: Redis,
  keys: RedisKeys,
  tenant: string,
  query: z.output<typeof usageQuerySchema>,
  now: number = Date.now(),
): Promise<UsageReport | { error: string }> {
  const end = query.end ?? utcDay(now);
  const start = query.start ?? utcDay(Date.parse(`${end}T00:00:00Z`) - 29 * 86_400_000);
  if (start > end) return { error: '"start" is after "end"' };
  const days = daysBetween(start, end);
  if (days.length > maxUsageReportDays)
    return { error: `a report covers at most ${maxUsageReportDays} days` };
  const pipeline = redis.pipeline();
  for (const day of days) pipeline.hgetall(keys.usageLedger(tenant, day));
  const replies = (await pipeline.exec()) ?? [];

  const byModel = query.group_by.includes('model');
  const byDay = query.group_by.includes('day');
  const byTier = query.group_by.includes('tier');
  const groups = new Map<
    string,
    { day?: string; model?: string; tier?: ServiceTier; raw: RawAmounts }
  >();
  const totals = emptyAmounts();
  const costByTier: Record<ServiceTier, number> = { standard: 0, flex: 0, batch: 0 };
  replies.forEach(([error, hash], index) => {
    if (error) throw error;
    const day = days[index] as string;
    for (const [field, value] of Object.entries((hash ?? {}) as Record<string, string>)) {
      const { model, tier, kind } = parseLedgerField(field);
      const target = amountFields[kind as keyof typeof amountFields];
      if (!target) continue;
      const amount = Number(value);
      totals[target] += amount;
      if (target === 'cost_nano_usd') costByTier[tier] += amount;
      if (!byModel && !byDay && !byTier) continue;
      const groupKey = `${byDay ? day : ''}\n${byModel ? model : ''}\n${byTier ? tier : ''}`;
      let group = groups.get(groupKey);
      if (!group) {
        group = {
          ...(byDay ? { day } : {}),
          ...(byModel ? { model } : {}),
          ...(byTier ? { tier } : {}),
          raw: emptyAmounts(),
        };
        groups.set(groupKey, group);
      }
      group.raw[target] += amount;
    }
  });
  const data = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => ({
      ...(group.day !== undefined ? { day: group.day } : {}),
      ...(group.model !== undefined ? { model: group.model } : {}),
      ...(group.tier !== undefined ? { tier: group.tier } : {}),
      ...present(group.raw),
    }));
  return {
    object: 'usage.report',
    start,
    end,
    group_by: query.group_by,
    data,
    totals: present(totals),
    cost_by_tier_usd: {
      standard: fromNanoUsd(costByTier.standard),
      flex: fromNanoUsd(costByTier.flex),
      batch: fromNanoUsd(costByTier.batch),
    },
  };
}
