import type { ModelEntry } from '../catalog/model-catalog';
import { costOfUsage } from '../catalog/model-pricing';
import type { RequestedServiceTier, ServiceTier } from '../catalog/service-tier';

/** One tier a request could run on, with what it would cost and how long it would take. */
export interface TierOption {
  tier: ServiceTier;
  /** Cost at this tier's prices of the estimated usage, USD. */
  cost_usd: number;
  /** How long until the answer is expected, ms (latency, or a provider batch's turnaround). */
  expected_completion_ms: number;
  /**
   * Whether the answer is expected before the deadline with room left to run it on standard
   * should this tier fail (a flex 429 storm, a late provider batch). Always true without one.
   */
  meets_deadline: boolean;
}

/** What the choice weighs. */
export interface TierChoiceInput {
  entry: Pick<ModelEntry, 'pricing' | 'service_tiers' | 'expected_latency_ms'>;
  /** The estimated usage priced on each tier. */
  usage: { inputTokens: number; outputTokens: number };
  /** Time left until the work must be complete, ms; absent: no deadline (run now). */
  timeLeftMs?: number;
  /** What the request asked for; default `auto`. */
  requested?: RequestedServiceTier;
  /** The tiers llmq can run this kind of work on (e.g. no provider batch for a sync call). */
  runnable: readonly ServiceTier[];
  /** Provider-batch turnaround llmq has measured for this model, ms; overrides the catalog's. */
  measuredBatchTurnaroundMs?: number;
}

export type TierChoice =
  | { ok: true; tier: ServiceTier; reason: string; options: TierOption[] }
  | { ok: false; message: string; options: TierOption[] };

/**
 * The tiers a model offers, as options for one request: always standard; flex and provider
 * batch when the catalog lists them for the model and llmq can run the work that way.
 */
export function tierOptions(input: TierChoiceInput): TierOption[] {
  const { entry, usage, timeLeftMs } = input;
  const standardMs = entry.expected_latency_ms;
  const option = (tier: ServiceTier, expectedMs: number, fallbackMs: number): TierOption => ({
    tier,
    cost_usd: costOfUsage(entry, usage, tier),
    expected_completion_ms: expectedMs,
    // A cheaper tier must leave time to run the work on standard should it fail.
    meets_deadline: timeLeftMs === undefined || expectedMs + fallbackMs <= timeLeftMs,
  });
  const options = [option('standard', standardMs, 0)];
  const { flex, batch } = entry.service_tiers ?? {};
  if (flex && input.runnable.includes('flex'))
    options.push(option('flex', flex.expected_latency_ms, standardMs));
  if (batch && input.runnable.includes('batch')) {
    const turnaround = input.measuredBatchTurnaroundMs ?? batch.expected_turnaround_ms;
    options.push(option('batch', turnaround, standardMs));
  }
  return options;
}

/**
 * The tier a unit of work runs on. A pinned tier is kept when the model offers it (a deadline
 * does not override an explicit choice); `auto` without a deadline runs standard (today's
 * behaviour: now); `auto` with a deadline takes the cheapest tier expected to meet it, the
 * quicker one on equal cost, and standard when none does.
 */
export function chooseServiceTier(input: TierChoiceInput): TierChoice {
  const options = tierOptions(input);
  const requested = input.requested ?? 'auto';
  if (requested !== 'auto') {
    const pinned = options.find((option) => option.tier === requested);
    if (!pinned) {
      return {
        ok: false,
        message: `service_tier "${requested}" is not available for this model and kind of work`,
        options,
      };
    }
    return { ok: true, tier: pinned.tier, reason: 'pinned by the request', options };
  }
  if (input.timeLeftMs === undefined)
    return { ok: true, tier: 'standard', reason: 'no deadline: run now', options };
  const meeting = options
    .filter((option) => option.meets_deadline)
    .sort((a, b) => a.cost_usd - b.cost_usd || a.expected_completion_ms - b.expected_completion_ms);
  const cheapest = meeting[0];
  if (!cheapest)
    return { ok: true, tier: 'standard', reason: 'no tier meets the deadline: quickest', options };
  return {
    ok: true,
    tier: cheapest.tier,
    reason: `cheapest tier expected to meet the deadline`,
    options,
  };
}
