import type { Usage } from '../language-model';

/** Anthropic usage fields, as in `Message.usage` and the cumulative `message_delta.usage`. */
export interface AnthropicUsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  /** The cache writes by lifetime (`ephemeral_5m_input_tokens`, `ephemeral_1h_input_tokens`). */
  cache_creation?: { ephemeral_1h_input_tokens?: number | null } | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/**
 * Converts Anthropic usage to ours, which follows OpenAI's meaning.
 *
 * Anthropic's `input_tokens` counts only the uncached remainder of the prompt; the whole
 * prompt is `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`. So:
 * - `inputTokens` is that whole sum, as OpenAI's `prompt_tokens` is the whole prompt;
 * - `cachedInputTokens` is `cache_read_input_tokens`, the part served from the cache (cheap).
 *
 * - `cacheWriteInputTokens` is `cache_creation_input_tokens` (priced above plain input), set
 *   when some were written, and `cacheWrite1hInputTokens` the part of it written with the
 *   1-hour lifetime (`cache_creation.ephemeral_1h_input_tokens`);
 * - `reasoningTokens` is `output_tokens_details.thinking_tokens`, when reported.
 */
export function convertAnthropicUsage(usage: AnthropicUsageFields): Usage {
  const cacheReadTokens = usage.cache_read_input_tokens ?? 0;
  const inputTokens =
    (usage.input_tokens ?? 0) + cacheReadTokens + (usage.cache_creation_input_tokens ?? 0);
  const outputTokens = usage.output_tokens ?? 0;
  const converted: Usage = {
    inputTokens,
    outputTokens,
    cachedInputTokens: cacheReadTokens,
    totalTokens: inputTokens + outputTokens,
  };
  const cacheWriteTokens = usage.cache_creation_input_tokens ?? 0;
  if (cacheWriteTokens > 0) converted.cacheWriteInputTokens = cacheWriteTokens;
  const oneHourTokens = Math.min(
    usage.cache_creation?.ephemeral_1h_input_tokens ?? 0,
    cacheWriteTokens,
  );
  if (oneHourTokens > 0) converted.cacheWrite1hInputTokens = oneHourTokens;
  const reasoningTokens = usage.output_tokens_details?.thinking_tokens ?? 0;
  if (reasoningTokens > 0) converted.reasoningTokens = reasoningTokens;
  return converted;
}

/**
 * Folds a streamed `message_delta.usage` into what `message_start` reported. Delta counts
 * are cumulative; fields the delta leaves null keep their earlier value.
 */
export function mergeAnthropicUsage(
  start: AnthropicUsageFields,
  delta: AnthropicUsageFields,
): AnthropicUsageFields {
  return {
    input_tokens: delta.input_tokens ?? start.input_tokens,
    output_tokens: delta.output_tokens ?? start.output_tokens,
    cache_read_input_tokens: delta.cache_read_input_tokens ?? start.cache_read_input_tokens,
    cache_creation_input_tokens:
      delta.cache_creation_input_tokens ?? start.cache_creation_input_tokens,
    cache_creation: delta.cache_creation ?? start.cache_creation,
    output_tokens_details: delta.output_tokens_details ?? start.output_tokens_details,
  };
}
