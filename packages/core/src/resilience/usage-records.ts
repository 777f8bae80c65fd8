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
export const jobUsageSchema = attemptUsageSchema.extend({ total_tokens: z.number() });
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
  };
}
