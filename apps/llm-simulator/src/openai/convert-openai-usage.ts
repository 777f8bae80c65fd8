/** Token totals of a whole chat completion, every choice included. */
export interface ChatCompletionTokens {
  promptTokens: number;
  /** Prompt tokens read from the prompt cache (part of `promptTokens`). */
  cachedTokens: number;
  /** Visible and reasoning tokens of every choice. */
  completionTokens: number;
  /** Reasoning tokens (part of `completionTokens`). */
  reasoningTokens: number;
}

/** OpenAI's `usage` object of a chat completion. */
export function chatCompletionUsage(tokens: ChatCompletionTokens) {
  const { promptTokens, completionTokens } = tokens;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: tokens.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: tokens.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** OpenAI's `usage` object of a legacy completion. */
export function completionUsage(promptTokens: number, completionTokens: number) {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/** Stands in for the backend configuration OpenAI reports in `system_fingerprint`. */
export const SYSTEM_FINGERPRINT = 'fp_llmq_sim';
