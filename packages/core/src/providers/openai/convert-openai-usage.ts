import type { Usage } from '../language-model';

/**
 * The usage fields of an OpenAI chat completion, typed loosely so that the OpenAI-compatible
 * adapter can pass the JSON a local server sent (which may leave fields out).
 */
export interface OpenAIUsageFields {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

/**
 * Converts OpenAI usage. `prompt_tokens` already includes the cached ones, so
 * `inputTokens` is the whole prompt and `cachedInputTokens` the part of it served from the
 * prompt cache (priced lower by the cost layer). `reasoningTokens` (part of
 * `completion_tokens`) is set when the provider reports some.
 */
export function convertOpenAIUsage(usage: OpenAIUsageFields): Usage {
  const inputTokens = usage.prompt_tokens ?? 0;
  const outputTokens = usage.completion_tokens ?? 0;
  const converted: Usage = {
    inputTokens,
    outputTokens,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    totalTokens: usage.total_tokens ?? inputTokens + outputTokens,
  };
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  if (reasoningTokens > 0) converted.reasoningTokens = reasoningTokens;
  return converted;
}
