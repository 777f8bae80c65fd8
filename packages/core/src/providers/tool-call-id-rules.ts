import { createHash } from 'node:crypto';
import type { ChatMessage } from '../messages/chat-message';

/**
 * What a provider accepts as a tool call id in a conversation, and the id it is sent instead
 * of one it would refuse. A conversation may hold ids another provider made (a fallback, a
 * client that moved models, a Gemini 3 id sealing its thought signature): a provider with a
 * stricter rule answers 400 to the whole request. The stand-in is derived from the id alone,
 * so a call and its result (and the same call next turn) get the same one, with no state kept.
 */
export interface ToolCallIdRule {
  fits(id: string): boolean;
  /** The stand-in, from 32 base62 characters of the id's SHA-256. */
  standIn(digest: string): string;
}

/** OpenAI Chat Completions: at most 40 characters (`string_above_max_length` above that). */
export const openAIToolCallIds: ToolCallIdRule = {
  fits: (id) => id.length <= 40,
  standIn: (digest) => `call_${digest.slice(0, 24)}`,
};

const anthropicIdPattern = /^[a-zA-Z0-9_-]+$/;

/** Anthropic: `tool_use` ids match `^[a-zA-Z0-9_-]+$`. */
export const anthropicToolCallIds: ToolCallIdRule = {
  fits: (id) => anthropicIdPattern.test(id),
  standIn: (digest) => `toolu_${digest.slice(0, 24)}`,
};

const alphanumeric9 = /^[a-zA-Z0-9]{9}$/;

/** Mistral (its API, and its chat templates on vLLM or Ollama): exactly 9 letters or digits. */
export const alphanumeric9ToolCallIds: ToolCallIdRule = {
  fits: (id) => alphanumeric9.test(id),
  standIn: (digest) => digest.slice(0, 9),
};

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function digestOf(id: string): string {
  let digest = '';
  // byte % 62 leans slightly towards the first characters: 32 characters still leave far more
  // than enough room between the ids of one conversation.
  for (const byte of createHash('sha256').update(id).digest()) digest += base62[byte % 62];
  return digest;
}

/** The conversation with every tool call id `rule` refuses replaced by its stand-in. */
export function fitToolCallIds(messages: ChatMessage[], rule: ToolCallIdRule): ChatMessage[] {
  const fitted = new Map<string, string>();
  const standInFor = (id: string): string => {
    if (rule.fits(id)) return id;
    let standIn = fitted.get(id);
    if (standIn === undefined) {
      standIn = rule.standIn(digestOf(id));
      fitted.set(id, standIn);
    }
    return standIn;
  };
  let changed = false;
  const result = messages.map((message): ChatMessage => {
    if (message.role === 'tool') {
      if (message.content.every((part) => rule.fits(part.toolCallId))) return message;
      changed = true;
      return {
        ...message,
        content: message.content.map((part) => ({
          ...part,
          toolCallId: standInFor(part.toolCallId),
        })),
      };
    }
    if (message.role !== 'assistant' || typeof message.content === 'string') return message;
    if (message.content.every((part) => part.type !== 'tool-call' || rule.fits(part.toolCallId)))
      return message;
    changed = true;
    return {
      ...message,
      content: message.content.map((part) =>
        part.type === 'tool-call' ? { ...part, toolCallId: standInFor(part.toolCallId) } : part,
      ),
    };
  });
  return changed ? result : messages;
}
