import type { Usage } from '../language-model';
import type { GenerateContentResponseUsageMetadata } from './gemini-sdk';

/**
 * Converts Gemini's `usageMetadata`. Gemini counts thinking apart from the answer
 * (`thoughtsTokenCount` is not in `candidatesTokenCount`), so `outputTokens` is their sum, as
 * OpenAI's `completion_tokens` includes reasoning; the prompt includes the cached part
 * (`cachedContentTokenCount`) and the tool-use prompt.
 */
export function convertGeminiUsage(usage: GenerateContentResponseUsageMetadata): Usage {
  const inputTokens = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0);
  const reasoningTokens = usage.thoughtsTokenCount ?? 0;
  const outputTokens = (usage.candidatesTokenCount ?? 0) + reasoningTokens;
  const converted: Usage = {
    inputTokens,
    outputTokens,
    cachedInputTokens: usage.cachedContentTokenCount ?? 0,
    totalTokens: usage.totalTokenCount ?? inputTokens + outputTokens,
  };
  if (reasoningTokens > 0) converted.reasoningTokens = reasoningTokens;
  return converted;
}
