import { TokenTally } from '@llmq/tokenizer';
import type { ChatMessage } from '../messages/chat-message';
import type { ContentPart } from '../messages/content-part';
import { plainTextOf } from '../messages/plain-text-document';
import type { ToolDefinition } from '../messages/tool-definition';

/** Tokens a chat framework adds per message (role markers), as OpenAI documents for chat. */
export const perMessageOverhead = 4;
/** Tokens that prime the reply, once per conversation. */
export const estimatedConversationOverhead = 3;

/**
 * Tokens assumed for an image whose size is unknown before the call: Anthropic bills at most
 * ~1,600 per image, OpenAI 765 for a 1024×1024 image at high detail and 85 at low detail.
 */
export const imageTokenEstimate = 1600;
const lowDetailImageTokens = 85;
/** A PDF page is billed as its text plus an image; assume this many tokens per 100 kB of file. */
const documentTokensPer100KB = 3000;

function partTokens(part: ContentPart, tally: TokenTally): number {
  switch (part.type) {
    case 'text':
    case 'reasoning':
      return tally.count(part.text);
    case 'image':
      return part.detail === 'low' ? lowDetailImageTokens : imageTokenEstimate;
    case 'document': {
      const text = plainTextOf(part);
      if (text !== undefined) return tally.count(text);
      if (part.source.type === 'url') return imageTokenEstimate;
      const bytes = (part.source.data.length * 3) / 4;
      return Math.max(imageTokenEstimate, Math.ceil((bytes / 100_000) * documentTokensPer100KB));
    }
    case 'tool-call':
      return tally.count(part.toolName) + tally.count(part.arguments);
    case 'tool-result':
      return typeof part.content === 'string'
        ? tally.count(part.content)
        : part.content.reduce((sum, inner) => sum + partTokens(inner, tally), 0);
    default: {
      const unreachable: never = part;
      return unreachable;
    }
  }
}

/** Tokens of one message's content: text counted, images and documents estimated. */
export function estimateMessageTokens(
  message: Pick<ChatMessage, 'content'>,
  tally = new TokenTally(),
): number {
  const content = message.content;
  if (typeof content === 'string') return tally.count(content);
  let total = 0;
  for (const part of content) total += partTokens(part, tally);
  return total;
}

/**
 * Input tokens of a conversation (and the tool definitions, which providers bill as input),
 * counted with the o200k tokenizer in linear time (one exact-work budget for the whole
 * conversation, see `@llmq/tokenizer`). Other providers tokenize differently; this is an
 * estimate for routing, rate limits and cost limits, not a bill.
 */
export function estimateInputTokens(
  messages: readonly Pick<ChatMessage, 'content'>[],
  tools: readonly ToolDefinition[] = [],
): number {
  const tally = new TokenTally();
  let total = estimatedConversationOverhead;
  for (const message of messages)
    total += perMessageOverhead + estimateMessageTokens(message, tally);
  for (const tool of tools) {
    total += tally.count(
      `${tool.name}\n${tool.description ?? ''}\n${JSON.stringify(tool.parameters)}`,
    );
  }
  return total;
}
