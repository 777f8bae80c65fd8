import { ClientError } from '../../errors/client-error';
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

/**
 * Legacy function calls carry no id: each assistant `function_call` gets one made from its
 * message's place (`call_fn_<index>`, the same for the same conversation, so exact-cache keys
 * hold), and a `function` message answers the latest call of its name not answered yet.
 */
class LegacyFunctionCalls {
  private readonly open = new Map<string, string[]>();

  call(name: string, index: number): string {
    const id = `call_fn_${index}`;
    const ids = this.open.get(name) ?? [];
    ids.push(id);
    this.open.set(name, ids);
    return id;
  }

  answer(name: string, path: string): string {
    const id = this.open.get(name)?.pop();
    if (id === undefined) {
      throw new ClientError(
        'invalid_request',
        `"${path}" is the result of the function "${name}", but no assistant message before it calls "${name}" (function_call)`,
        { parameter: `${path}.name` },
      );
    }
    return id;
  }
}

function convertAssistant(
  message: Extract<OpenAIChatMessage, { role: 'assistant' }>,
  path: string,
  legacyCallId: string | undefined,
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
  if (message.function_call && legacyCallId !== undefined) {
    parts.push({
      type: 'tool-call',
      toolCallId: legacyCallId,
      toolName: message.function_call.name,
      arguments: message.function_call.arguments,
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
 * message with a result per call; `developer` is the system role of newer OpenAI models. The
 * legacy `function_call` and `function` messages are tool calls and results like the others.
 */
export function convertOpenAIChatMessages(messages: readonly OpenAIChatMessage[]): ChatMessage[] {
  const converted: ChatMessage[] = [];
  const legacyCalls = new LegacyFunctionCalls();
  const pushResult = (result: ToolResultPart) => {
    const previous = converted.at(-1);
    if (previous?.role === 'tool') previous.content.push(result);
    else converted.push({ role: 'tool', content: [result] });
  };
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
        converted.push(
          convertAssistant(
            message,
            path,
            message.function_call ? legacyCalls.call(message.function_call.name, index) : undefined,
          ),
        );
        return;
      case 'function':
        pushResult({
          type: 'tool-result',
          toolCallId: legacyCalls.answer(message.name, path),
          content: message.content ?? '',
        });
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
        pushResult(result);
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
