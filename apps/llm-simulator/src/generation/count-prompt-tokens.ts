import type { Conversation } from './conversation';
import { countTextTokens } from './count-tokens';

/** Tokens a chat format adds around every message (OpenAI's cookbook counts 3). */
const TOKENS_PER_MESSAGE = 3;
/** Tokens that prime the assistant's reply. */
export const TOKENS_PER_REPLY = 3;

/** Tokens a message costs besides its content: the framing and its role. */
export function messageFramingTokens(role: string): number {
  return TOKENS_PER_MESSAGE + countTextTokens(role);
}

/**
 * Prompt tokens of a conversation of `[role, text]` entries, counted as OpenAI's cookbook
 * does for chat models: each message's role and text, plus 3 per message and 3 for the reply.
 */
export function countConversationTokens(conversation: Conversation): number {
  let total = TOKENS_PER_REPLY;
  for (const [role, text] of conversation) {
    total += messageFramingTokens(role) + countTextTokens(text);
  }
  return total;
}
