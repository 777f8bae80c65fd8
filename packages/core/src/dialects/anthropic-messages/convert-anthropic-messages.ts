import type { ChatMessage } from '../../messages/chat-message';
import type {
  AssistantContentPart,
  CacheControl,
  ImagePart,
  MediaSource,
  TextPart,
  ToolResultPart,
  UserContentPart,
} from '../../messages/content-part';
import { plainTextSource } from '../../messages/plain-text-document';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type {
  AnthropicContentBlock,
  AnthropicMessagesRequest,
} from './anthropic-messages-request-schema';

const dialect = 'the Anthropic messages format';

type Source =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'text'; media_type: 'text/plain'; data: string };
type WireCacheControl = { type: 'ephemeral'; ttl?: '5m' | '1h' } | null | undefined;

function mediaSource(source: Source): MediaSource {
  if (source.type === 'url') return { type: 'url', url: source.url };
  // A plain-text document is carried as the bytes of its text (see plain-text-document.ts).
  if (source.type === 'text') return plainTextSource(source.data);
  return { type: 'base64', mediaType: source.media_type, data: source.data };
}

/** Adds `cacheControl` when the block had a breakpoint. */
function cached<T extends object>(part: T, control: WireCacheControl): T {
  if (control === undefined || control === null) return part;
  const cacheControl: CacheControl = { type: 'ephemeral' };
  if (control.ttl !== undefined) cacheControl.ttl = control.ttl;
  return { ...part, cacheControl };
}

export function convertTextBlock(
  block: Extract<AnthropicContentBlock, { type: 'text' }>,
  path: string,
): TextPart {
  if (block.citations !== undefined && block.citations !== null) {
    throw new UnsupportedParameterError(`${path}.citations`, 'llmq');
  }
  return cached({ type: 'text', text: block.text }, block.cache_control);
}

function convertImageBlock(block: Extract<AnthropicContentBlock, { type: 'image' }>): ImagePart {
  return cached({ type: 'image', source: mediaSource(block.source) }, block.cache_control);
}

function convertToolResult(
  block: Extract<AnthropicContentBlock, { type: 'tool_result' }>,
  path: string,
): ToolResultPart {
  const content: ToolResultPart['content'] =
    block.content === undefined
      ? ''
      : typeof block.content === 'string'
        ? block.content
        : block.content.map((inner, index) =>
            inner.type === 'text'
              ? convertTextBlock(inner, `${path}.content[${index}]`)
              : convertImageBlock(inner),
          );
  const part: ToolResultPart = { type: 'tool-result', toolCallId: block.tool_use_id, content };
  if (block.is_error !== undefined) part.isError = block.is_error;
  return cached(part, block.cache_control);
}

/**
 * A custom-content document (`source.type: "content"`) as the text and image parts it is made
 * of, which every provider takes: its title, when given, is a first text part, and its cache
 * breakpoint goes on its last part (a breakpoint caches everything up to the end of its block).
 */
function contentDocumentParts(
  block: Extract<AnthropicContentBlock, { type: 'document' }>,
  path: string,
): UserContentPart[] {
  const { source } = block;
  if (source.type !== 'content') return [];
  const inner: UserContentPart[] =
    typeof source.content === 'string'
      ? [{ type: 'text', text: source.content }]
      : source.content.map((part, index) =>
          part.type === 'text'
            ? convertTextBlock(part, `${path}.source.content[${index}]`)
            : convertImageBlock(part),
        );
  const parts: UserContentPart[] = block.title
    ? [{ type: 'text', text: block.title }, ...inner]
    : inner;
  const last = parts.at(-1);
  if (last !== undefined) parts[parts.length - 1] = cached(last, block.cache_control);
  return parts;
}

function misplaced(path: string, type: string, role: string): never {
  throw new UnsupportedParameterError(
    `${path} (${type})`,
    dialect,
    `is not allowed in a ${role} message in`,
  );
}

/** A user turn: its tool results become a tool message (first, as Anthropic orders them), the rest a user message. */
function convertUserTurn(content: AnthropicContentBlock[], path: string): ChatMessage[] {
  const results: ToolResultPart[] = [];
  const parts: UserContentPart[] = [];
  content.forEach((block, index) => {
    const blockPath = `${path}.content[${index}]`;
    switch (block.type) {
      case 'tool_result':
        results.push(convertToolResult(block, blockPath));
        return;
      case 'text':
        parts.push(convertTextBlock(block, blockPath));
        return;
      case 'image':
        parts.push(convertImageBlock(block));
        return;
      case 'document': {
        for (const field of ['context', 'citations', 'title'] as const) {
          if (field !== 'title' && block[field] !== undefined && block[field] !== null) {
            throw new UnsupportedParameterError(`${blockPath}.${field}`, 'llmq');
          }
        }
        if (block.source.type === 'content') {
          parts.push(...contentDocumentParts(block, blockPath));
          return;
        }
        const document: UserContentPart = { type: 'document', source: mediaSource(block.source) };
        parts.push(
          cached(
            block.title ? { ...document, filename: block.title } : document,
            block.cache_control,
          ),
        );
        return;
      }
      default:
        misplaced(blockPath, block.type, 'user');
    }
  });
  const messages: ChatMessage[] = [];
  if (results.length > 0) messages.push({ role: 'tool', content: results });
  if (parts.length > 0) messages.push({ role: 'user', content: parts });
  return messages;
}

function convertAssistantTurn(content: AnthropicContentBlock[], path: string): ChatMessage {
  const parts = content.map((block, index): AssistantContentPart => {
    const blockPath = `${path}.content[${index}]`;
    switch (block.type) {
      case 'text':
        return convertTextBlock(block, blockPath);
      case 'thinking':
        return { type: 'reasoning', text: block.thinking, signature: block.signature };
      case 'redacted_thinking':
        return { type: 'reasoning', text: '', redactedData: block.data };
      case 'tool_use':
        return cached(
          {
            type: 'tool-call',
            toolCallId: block.id,
            toolName: block.name,
            arguments: JSON.stringify(block.input),
          },
          block.cache_control,
        );
      default:
        return misplaced(blockPath, block.type, 'assistant');
    }
  });
  return { role: 'assistant', content: parts };
}

/** Converts Anthropic's `system` and `messages` to neutral messages (system first). */
export function convertAnthropicMessages(body: AnthropicMessagesRequest): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (typeof body.system === 'string') messages.push({ role: 'system', content: body.system });
  else if (body.system !== undefined && body.system.length > 0) {
    messages.push({
      role: 'system',
      content: body.system.map((block, index) => convertTextBlock(block, `system[${index}]`)),
    });
  }
  body.messages.forEach((message, index) => {
    const path = `messages[${index}]`;
    if (typeof message.content === 'string') {
      messages.push({ role: message.role, content: message.content });
    } else if (message.role === 'user') {
      messages.push(...convertUserTurn(message.content, path));
    } else {
      messages.push(convertAssistantTurn(message.content, path));
    }
  });
  return messages;
}
