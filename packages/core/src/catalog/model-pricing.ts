import type { ModelEntry } from './model-catalog';

/** Token counts priced by {@link costOfUsage}. */
export interface PricedUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of `inputTokens` read from the provider's prompt cache. */
  cachedInputTokens?: number;
}

/** Output tokens assumed for a cost estimate when the request sets no `max_tokens`. */
export const defaultEstimatedOutputTokens = 1024;

/** Cost in USD of `usage` at the entry's prices (USD per million tokens). */
export function costOfUsage(entry: Pick<ModelEntry, 'pricing'>, usage: PricedUsage): number {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const dollars =
    ((usage.inputTokens - cached) * entry.pricing.input +
      cached * entry.pricing.cached_input +
      usage.outputTokens * entry.pricing.output) /
    1_000_000;
  return roundUsd(dollars);
}

/**
 * The most a request may cost on `entry`: its input tokens, plus `max_tokens` output tokens
 * (or {@link defaultEstimatedOutputTokens} when unset, capped at the model's maximum).
 */
export function estimateRequestCost(
  entry: Pick<ModelEntry, 'pricing' | 'max_output_tokens'>,
  inputTokens: number,
  maxTokens: number | undefined,
): number {
  const outputTokens = Math.min(maxTokens ?? defaultEstimatedOutputTokens, entry.max_output_tokens);
  return costOfUsage(entry, { inputTokens, outputTokens });
}

/** Rounds to a millionth of a cent, so sums of many small costs stay readable. */
export function roundUsd(dollars: number): number {
  return Math.round(dollars * 1e8) / 1e8;
}
