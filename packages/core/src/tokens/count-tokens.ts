import type { ModelEntry } from '../catalog/model-catalog';
import type { ChatMessage } from '../messages/chat-message';
import type { ToolDefinition } from '../messages/tool-definition';
import { estimateInputTokens } from './estimate-input-tokens';

/**
 * How a count was made: `o200k_base` is the tokenizer of the OpenAI models in the catalog
 * (GPT-4.1, GPT-5, and the simulator's OpenAI models), so their count matches the bill
 * within the chat framing; other providers tokenize differently and get the same count as an
 * approximation. After a call, the provider's reported usage is the truth for cost.
 */
export type TokenizerName = 'o200k_base' | 'o200k_base_approximation';

const openAIFormatProviders = new Set(['openai', 'simulator-openai']);

/** The tokenizer llmq counts a model's input with, before the call. */
export function tokenizerFor(entry: Pick<ModelEntry, 'provider'>): TokenizerName {
  return openAIFormatProviders.has(entry.provider) ? 'o200k_base' : 'o200k_base_approximation';
}

/**
 * Input tokens of a conversation (chat framing included), with o200k: exact for the models
 * {@link tokenizerFor} names `o200k_base`, an approximation for the others.
 */
export function countInputTokens(
  messages: readonly ChatMessage[],
  tools?: readonly ToolDefinition[],
): number {
  return estimateInputTokens(messages, tools);
}

export { countTextTokens, headTokens, TokenTally } from '@llmq/tokenizer';
