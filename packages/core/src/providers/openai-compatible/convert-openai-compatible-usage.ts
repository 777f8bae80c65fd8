import type { Usage } from '../language-model';
import { convertOpenAIUsage, type OpenAIUsageFields } from '../openai/convert-openai-usage';

const noUsage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, totalTokens: 0 };

/**
 * Converts the usage a local server reports, which follows OpenAI's shape where present.
 * Unlike OpenAI, some servers report none (older Ollama and LM Studio builds ignore
 * `stream_options.include_usage`): that is zero usage, not a malformed answer, since a local
 * server bills nothing and failing (and retrying) every stream would serve no one.
 */
export function convertOpenAICompatibleUsage(usage: OpenAIUsageFields | null | undefined): Usage {
  return usage ? convertOpenAIUsage(usage) : { ...noUsage };
}
