import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage } from '../providers/language-model';

/** Tokens a chat framework adds per message (role markers), as OpenAI documents for chat. */
const perMessageOverhead = 4;

/**
 * Input tokens of a conversation, counted with the o200k tokenizer. Other providers tokenize
 * differently; this is an estimate for routing and cost limits, not a bill.
 */
export function estimateInputTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const message of messages) total += perMessageOverhead + countTokens(message.content);
  return total;
}
