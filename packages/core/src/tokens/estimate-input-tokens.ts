import type { ChatMessage } from '../providers/language-model';
import { TokenTally } from './bounded-token-count';

/** Tokens a chat framework adds per message (role markers), as OpenAI documents for chat. */
export const perMessageOverhead = 4;
/** Tokens that prime the reply, once per conversation. */
export const estimatedConversationOverhead = 3;

/**
 * Input tokens of a conversation, counted with the o200k tokenizer in linear time (one
 * exact-work budget for the whole conversation, see `bounded-token-count.ts`). Other providers
 * tokenize differently; this is an estimate for routing and cost limits, not a bill.
 */
export function estimateInputTokens(messages: readonly ChatMessage[]): number {
  const tally = new TokenTally();
  let total = estimatedConversationOverhead;
  for (const message of messages) total += perMessageOverhead + tally.count(message.content);
  return total;
}
