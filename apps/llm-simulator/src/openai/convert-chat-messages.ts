import type { LastTurn, ToolResult } from '../chat/chat-request';
import type { Conversation } from '../generation/conversation';
import { messageFramingTokens } from '../generation/count-prompt-tokens';
import { countTextTokens } from '../generation/count-tokens';
import { countPdfPages, openAiImageTokens, TOKENS_PER_PDF_PAGE } from '../media/count-media-tokens';
import { parseDataUrl } from '../media/data-url';
import { ASSUMED_IMAGE_SIZE, readImageSize } from '../media/image-size';
import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import type { ModelCapabilities } from '../profiles/model-profile';
import type { PromptPrefix } from '../prompt-cache/prompt-prefix';
import type { ChatMessage, ChatUserPart } from './chat-completions-request-schema';

/** The messages of a chat request in provider-neutral form. */
export interface ConvertedChatMessages {
  conversation: Conversation;
  lastTurn: LastTurn;
}

const IMAGE_MEDIA_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * Converts and checks the messages as OpenAI does: every `tool` message answers a call of the
 * assistant message before it, every call is answered before the next other message, image and
 * file parts are readable and the model takes them. Adds each message to `prefix`, with a cache
 * breakpoint after it (OpenAI caches any prefix of whole messages).
 */
export function convertChatMessages(
  messages: readonly ChatMessage[],
  capabilities: ModelCapabilities,
  prefix: PromptPrefix,
): ConvertedChatMessages | RefusedRequest {
  const conversation: Array<readonly [string, string]> = [];
  /** Calls of the last assistant message not answered yet: id → tool name. */
  let pending: Map<string, string> | null = null;
  let pendingIndex = 0;
  let results: ToolResult[] = [];
  let lastUserText = '';
  const addToPrefix = (message: ChatMessage, mediaTokensOfMessage: number) => {
    const [role, text] = conversation.at(-1) ?? ['', ''];
    prefix.add(message, messageFramingTokens(role) + countTextTokens(text) + mediaTokensOfMessage);
    prefix.markBreakpoint();
  };
  for (const [index, message] of messages.entries()) {
    if (message.role === 'tool') {
      const toolName = pending?.get(message.tool_call_id);
      if (pending === null)
        return refuse(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${index}].role`,
        );
      if (toolName === undefined)
        return refuse(
          `Invalid parameter: 'tool_call_id' of '${message.tool_call_id}' not found in 'tool_calls' of previous message.`,
          `messages.[${index}].tool_call_id`,
        );
      pending.delete(message.tool_call_id);
      const content = textOf(message.content);
      results.push({ toolName, content, isError: false });
      conversation.push(['tool', content]);
      addToPrefix(message, 0);
      continue;
    }
    if (pending !== null && pending.size > 0) return unanswered(pending, pendingIndex);
    pending = null;
    results = [];
    let messageMediaTokens = 0;
    if (message.role === 'user') {
      const user = convertUserContent(message.content, index, capabilities);
      if ('refused' in user) return user;
      messageMediaTokens = user.mediaTokens;
      lastUserText = user.text;
      conversation.push([roleOf('user', message.name), user.text]);
    } else if (message.role === 'assistant') {
      const calls = message.tool_calls ?? [];
      const text = [
        typeof message.content === 'string' ? message.content : textOf(message.content ?? []),
        ...calls.map((call) => `${call.function.name}(${call.function.arguments})`),
      ].filter((part) => part.length > 0);
      conversation.push([roleOf('assistant', message.name), text.join('\n')]);
      if (calls.length > 0) {
        pending = new Map(calls.map((call) => [call.id, call.function.name]));
        pendingIndex = index;
      }
    } else {
      conversation.push([roleOf(message.role, message.name), textOf(message.content)]);
    }
    addToPrefix(message, messageMediaTokens);
  }
  if (pending !== null && pending.size > 0) return unanswered(pending, pendingIndex);
  const lastTurn: LastTurn =
    results.length > 0 ? { kind: 'tool-results', results } : { kind: 'user', text: lastUserText };
  return { conversation, lastTurn };
}

function unanswered(pending: Map<string, string>, index: number): RefusedRequest {
  return refuse(
    `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending.keys()].join(', ')}`,
    `messages.[${index}].role`,
  );
}

/** A message's role, with its `name` when it has one (names cost tokens, as on OpenAI). */
function roleOf(role: string, name: string | undefined): string {
  return name === undefined ? role : `${role}:${name}`;
}

/** Text parts joined by newlines (refusal parts count as text). */
function textOf(
  content: string | ReadonlyArray<{ type: string; text?: string; refusal?: string }>,
): string {
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? part.refusal ?? '').join('\n');
}

function convertUserContent(
  content: string | readonly ChatUserPart[],
  messageIndex: number,
  capabilities: ModelCapabilities,
): { text: string; mediaTokens: number } | RefusedRequest {
  if (typeof content === 'string') return { text: content, mediaTokens: 0 };
  const texts: string[] = [];
  let mediaTokens = 0;
  for (const [partIndex, part] of content.entries()) {
    const path = `messages.[${messageIndex}].content.[${partIndex}]`;
    const tokens = partTokens(part, path, capabilities);
    if (typeof tokens !== 'number') return tokens;
    if (part.type === 'text') texts.push(part.text);
    mediaTokens += tokens;
  }
  return { text: texts.join('\n'), mediaTokens };
}

function partTokens(
  part: ChatUserPart,
  path: string,
  capabilities: ModelCapabilities,
): number | RefusedRequest {
  switch (part.type) {
    case 'text':
      return 0;
    case 'image_url': {
      if (!capabilities.vision)
        return refuse(
          'Invalid content type. image_url is only supported by certain models.',
          `${path}.type`,
          'unsupported_value',
        );
      const { url, detail } = part.image_url;
      if (/^https?:\/\//i.test(url)) return openAiImageTokens(ASSUMED_IMAGE_SIZE, detail ?? 'auto');
      const data = parseDataUrl(url);
      if (data === null)
        return refuse(
          "Invalid image URL: expected an http(s) URL or a base64 data URL such as 'data:image/png;base64,…'.",
          `${path}.image_url.url`,
          'invalid_image_url',
        );
      if (!IMAGE_MEDIA_TYPES.has(data.mediaType))
        return refuse(
          `Invalid MIME type '${data.mediaType}'. Only image/png, image/jpeg, image/gif and image/webp are supported.`,
          `${path}.image_url.url`,
          'invalid_image_format',
        );
      return openAiImageTokens(readImageSize(data.base64) ?? ASSUMED_IMAGE_SIZE, detail ?? 'auto');
    }
    case 'file': {
      if (!capabilities.documents)
        return refuse(
          'Invalid content type. file is only supported by certain models.',
          `${path}.type`,
          'unsupported_value',
        );
      if (part.file.file_data === undefined)
        return refuse(
          'The simulator has no Files API: send the PDF inline as file_data.',
          `${path}.file.file_id`,
          'invalid_value',
        );
      const data = parseDataUrl(part.file.file_data);
      if (data === null || data.mediaType !== 'application/pdf')
        return refuse(
          "Invalid file data: expected a base64 data URL of a PDF ('data:application/pdf;base64,…').",
          `${path}.file.file_data`,
          'invalid_value',
        );
      return countPdfPages(data.base64) * TOKENS_PER_PDF_PAGE;
    }
    case 'input_audio':
      return refuse(
        'Invalid content type. input_audio is only supported by audio models.',
        `${path}.type`,
        'unsupported_value',
      );
    default: {
      const unexpected: never = part;
      throw new Error(`Unknown part ${String(unexpected)}`);
    }
  }
}
