import type { ChatMessage } from '../../messages/chat-message';
import type {
  AssistantContentPart,
  MediaSource,
  ToolResultPart,
  UserContentPart,
} from '../../messages/content-part';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { OpenAIChatMessage } from './openai-chat-request-schema';
import { reasoningPartsOf } from './openai-thinking-blocks';

const dialect = 'the OpenAI chat format';
const dataUrlPattern = /^data:([^;,]+);base64,(.+)$/s;

/** A URL, or a `data:<type>;base64,<data>` URL as inline bytes. */
export function mediaSourceOf(url: string): MediaSource {
  const match = dataUrlPattern.exec(url);
  if (match === null) return { type: 'url', url };
  return { type: 'base64', mediaType: match[1] as string, data: match[2] as string };
}

function withName<T extends object>(message: T, name: string | undefined): T {
  return name === undefined ? message : { ...message, name };
}

type UserParts = Extract<OpenAIChatMessage, { role: 'user' }>['content'];

function convertUserContent(content: UserParts, path: string): string | UserContentPart[] {
  if (typeof content === 'string') return content;
  return content.map((part, index): UserContentPart => {
    switch (part.type) {
      case 'text':
        return { type: 'text', text: part.text };
      case 'image_url': {
        const image: UserContentPart = { type: 'image', source: mediaSourceOf(part.image_url.url) };
        return part.image_url.detail === undefined
          ? image
          : { ...image, detail: part.image_url.detail };
      }
      case 'file': {
        if (part.file.file_data === undefined) {
          // Uploaded files live at OpenAI; llmq has no file id to resolve them by.
          throw new UnsupportedParameterError(`${path}.content[${index}].file.file_id`, dialect);
        }
        const source = mediaSourceOf(part.file.file_data);
        const document: UserContentPart = { type: 'document', source };
        return part.file.filename === undefined
          ? document
          : { ...document, filename: part.file.filename };
      }
      case 'input_audio':
        throw new UnsupportedParameterError(`${path}.content[${index}] (input_audio)`, 'llmq');
      default: {
        const unreachable: never = part;
        return unreachable;
      }
    }
  });
}

function convertAssistant(
  message: Extract<OpenAIChatMessage, { role: 'assistant' }>,
  path: string,
): ChatMessage {
  if (
    message.refusal ||
    (Array.isArray(message.content) && message.content.some((part) => part.type === 'refusal'))
  ) {
    throw new UnsupportedParameterError(`${path}.refusal`, 'llmq');
  }
  // `thinking_blocks` carry the same reasoning as `reasoning_content`, with the signatures
  // Anthropic needs to take it back; when both come, the blocks are the reasoning.
  const parts: AssistantContentPart[] = message.thinking_blocks
    ? reasoningPartsOf(message.thinking_blocks)
    : [];
  if (!message.thinking_blocks && message.reasoning_content) {
    parts.push({ type: 'reasoning', text: message.reasoning_content });
  }
  if (typeof message.content === 'string' && message.content !== '') {
    parts.push({ type: 'text', text: message.content });
  } else if (Array.isArray(message.content)) {
    for (const part of message.content) {
      if (part.type === 'text') parts.push({ type: 'text', text: part.text });
    }
  }
  for (const call of message.tool_calls ?? []) {
    parts.push({
      type: 'tool-call',
      toolCallId: call.id,
      toolName: call.function.name,
      arguments: call.function.arguments,
    });
  }
  // A plain text answer stays a string, as clients sent it.
  const plain =
    parts.length === 1 && parts[0]?.type === 'text' && typeof message.content === 'string';
  return withName(
    { role: 'assistant', content: plain ? (message.content as string) : parts },
    message.name,
  );
}

/**
 * Converts OpenAI chat messages to neutral ones. Consecutive `tool` messages become one tool
 * message with a result per call; `developer` is the system role of newer OpenAI models.
 */
export function convertOpenAIChatMessages(messages: readonly OpenAIChatMessage[]): ChatMessage[] {
  const converted: ChatMessage[] = [];
  messages.forEach((message, index) => {
    const path = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        converted.push(
          withName(
            {
              role: 'system',
              content:
                typeof message.content === 'string'
                  ? message.content
                  : message.content.map((part) => ({ type: 'text' as const, text: part.text })),
            },
            message.name,
          ),
        );
        return;
      case 'user':
        converted.push(
          withName(
            { role: 'user', content: convertUserContent(message.content, path) },
            message.name,
          ),
        );
        return;
      case 'assistant':
        converted.push(convertAssistant(message, path));
        return;
      case 'tool': {
        const result: ToolResultPart = {
          type: 'tool-result',
          toolCallId: message.tool_call_id,
          content:
            typeof message.content === 'string'
              ? message.content
              : message.content.map((part) => ({ type: 'text' as const, text: part.text })),
        };
        const previous = converted.at(-1);
        if (previous?.role === 'tool') previous.content.push(result);
        else converted.push({ role: 'tool', content: [result] });
        return;
      }
      default: {
        const unreachable: never = message;
        throw new Error(`unknown role in ${JSON.stringify(unreachable)}`);
      }
    }
  });
  return converted;
}
