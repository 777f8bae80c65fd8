import { z } from 'zod';
import type { TokenCounts, Usage } from '../providers/language-model';

/**
 * Token usage has ONE shape inside llmq: the provider's {@link Usage} (camelCase). The stored
 * and listed records below are snake_case because they are part of the HTTP surface (a job's
 * result, its attempts); they are made from a `Usage` here, and only here.
 */

export type { TokenCounts };

/** Tokens of one provider call on its attempt record (`input_tokens` includes `cached_input_tokens`). */
export const attemptUsageSchema = z.object({
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  output_tokens: z.number(),
});
export type AttemptUsage = z.infer<typeof attemptUsageSchema>;

/** Token usage on a job's result: the attempt's, plus the total. */
export const jobUsageSchema = attemptUsageSchema.extend({
  total_tokens: z.number(),
  /** Output tokens spent on reasoning (part of `output_tokens`), when the provider reports them. */
  reasoning_tokens: z.number().optional(),
  /** Input tokens written to the provider's prompt cache (part of `input_tokens`), when reported. */
  cache_write_input_tokens: z.number().optional(),
  /** The part of `cache_write_input_tokens` written with a 1-hour lifetime, when some were. */
  cache_write_1h_input_tokens: z.number().optional(),
});
export type JobUsage = z.infer<typeof jobUsageSchema>;

/** The attempt record's usage of a call (cached tokens capped by the input they are part of). */
export function toAttemptUsage(usage: TokenCounts & Partial<Usage>): AttemptUsage {
  return {
    input_tokens: usage.inputTokens,
    cached_input_tokens: Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens),
    output_tokens: usage.outputTokens,
  };
}

/** The job result's usage of its answer. */
export function toJobUsage(usage: Usage): JobUsage {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cached_input_tokens: usage.cachedInputTokens,
    total_tokens: usage.totalTokens,
    ...(usage.reasoningTokens !== undefined ? { reasoning_tokens: usage.reasoningTokens } : {}),
    ...(usage.cacheWriteInputTokens !== undefined
      ? { cache_write_input_tokens: usage.cacheWriteInputTokens }
      : {}),
    ...(usage.cacheWrite1hInputTokens !== undefined
      ? { cache_write_1h_input_tokens: usage.cacheWrite1hInputTokens }
      : {}),
  };
}

/** The provider-neutral usage of a job result's usage (what the dialect answers are made from). */
export function fromJobUsage(usage: JobUsage): Usage {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cachedInputTokens: usage.cached_input_tokens,
    totalTokens: usage.total_tokens,
    ...(usage.reasoning_tokens !== undefined ? { reasoningTokens: usage.reasoning_tokens } : {}),
    ...(usage.cache_write_input_tokens !== undefined
      ? { cacheWriteInputTokens: usage.cache_write_input_tokens }
      : {}),
    ...(usage.cache_write_1h_input_tokens !== undefined
      ? { cacheWrite1hInputTokens: usage.cache_write_1h_input_tokens }
      : {}),
  };
}
