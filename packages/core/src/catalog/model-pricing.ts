import type { ModelEntry } from './model-catalog';
import type { ServiceTier } from './service-tier';

/** Token counts priced by {@link costOfUsage}. */
export interface PricedUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of `inputTokens` read from the provider's prompt cache. */
  cachedInputTokens?: number;
  /** Part of `inputTokens` written to the provider's prompt cache (Anthropic). */
  cacheWriteInputTokens?: number;
  /** Part of `cacheWriteInputTokens` written with the 1-hour lifetime (Anthropic). */
  cacheWrite1hInputTokens?: number;
  /** Part of `outputTokens` spent on reasoning. */
  reasoningTokens?: number;
}

/** Output tokens assumed for a cost estimate when the request sets no `max_tokens`. */
export const defaultEstimatedOutputTokens = 1024;

/** The entry's prices (USD per million tokens) on `tier`; a tier it does not offer: standard's. */
export function pricingOfTier(
  entry: Pick<ModelEntry, 'pricing'> & Partial<Pick<ModelEntry, 'service_tiers'>>,
  tier: ServiceTier = 'standard',
): ModelEntry['pricing'] {
  if (tier === 'standard') return entry.pricing;
  return entry.service_tiers?.[tier]?.pricing ?? entry.pricing;
}

/** Cost in USD of `usage` at the entry's prices on `tier` (USD per million tokens). */
export function costOfUsage(
  entry: Pick<ModelEntry, 'pricing'> & Partial<Pick<ModelEntry, 'service_tiers'>>,
  usage: PricedUsage,
  tier: ServiceTier = 'standard',
): number {
  const pricing = pricingOfTier(entry, tier);
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const cacheWrite = Math.min(usage.cacheWriteInputTokens ?? 0, usage.inputTokens - cached);
  const oneHourWrite = Math.min(usage.cacheWrite1hInputTokens ?? 0, cacheWrite);
  const cacheWritePrice = pricing.cache_write ?? pricing.input;
  const reasoning = Math.min(usage.reasoningTokens ?? 0, usage.outputTokens);
  // Images and documents arrive inside inputTokens, as both providers bill them.
  const dollars =
    ((usage.inputTokens - cached - cacheWrite) * pricing.input +
      cached * pricing.cached_input +
      (cacheWrite - oneHourWrite) * cacheWritePrice +
      oneHourWrite * (pricing.cache_write_1h ?? cacheWritePrice) +
      (usage.outputTokens - reasoning) * pricing.output +
      reasoning * (pricing.reasoning ?? pricing.output)) /
    1_000_000;
  return roundUsd(dollars);
}

/**
 * The most a request may cost on `entry`: its input tokens, plus the most output tokens it may
 * bill there (`maxOutputTokensOf`: the limit the model's adapter sends).
 */
export function estimateRequestCost(
  entry: Pick<ModelEntry, 'pricing'>,
  inputTokens: number,
  outputTokens: number,
): number {
  return costOfUsage(entry, { inputTokens, outputTokens });
}

/** Rounds to a millionth of a cent, so sums of many small costs stay readable. */
export function roundUsd(dollars: number): number {
  return Math.round(dollars * 1e8) / 1e8;
}
