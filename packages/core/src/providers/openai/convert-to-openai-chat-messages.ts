import type OpenAI from 'openai';
import type { ChatMessage } from '../../messages/chat-message';
import type { DocumentPart, ImagePart, ToolResultPart } from '../../messages/content-part';
import { plainTextOf } from '../../messages/plain-text-document';
import { textOf } from '../../messages/text-of';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';

type OpenAIMessage = OpenAI.Chat.ChatCompletionMessageParam;
type OpenAIUserPart = OpenAI.Chat.ChatCompletionContentPart;

/** A `data:` URL of inline base64 bytes, as OpenAI takes inline images and files. */
function dataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

function imagePart(part: ImagePart): OpenAIUserPart {
  const url =
    part.source.type === 'url' ? part.source.url : dataUrl(part.source.mediaType, part.source.data);
  return {
    type: 'image_url',
    image_url: part.detail === undefined ? { url } : { url, detail: part.detail },
  };
}

function documentPart(part: DocumentPart, path: string, modelId: string): OpenAIUserPart {
  // Chat Completions takes PDF files only; a plain-text document is its text.
  const text = plainTextOf(part);
  if (text !== undefined) return { type: 'text', text };
  // Chat Completions takes a file inline or by uploaded file id, not by URL.
  if (part.source.type === 'url') {
    throw new UnsupportedParameterError(
      `${path}.source.url`,
      modelId,
      '(a document by URL) is not supported by',
    );
  }
  const file: OpenAI.Chat.ChatCompletionContentPart.File.File = {
    file_data: dataUrl(part.source.mediaType, part.source.data),
  };
  if (part.filename !== undefined) file.filename = part.filename;
  return { type: 'file', file };
}

/** The text of a tool result; OpenAI tool messages carry text only. An error is said in words. */
function toolResultText(part: ToolResultPart, path: string, modelId: string): string {
  if (typeof part.content !== 'string' && part.content.some((inner) => inner.type !== 'text')) {
    throw new UnsupportedParameterError(
      `${path}.content`,
      modelId,
      '(an image in a tool result) is not supported by',
    );
  }
  const text = textOf(part);
  // OpenAI has no error flag on a tool result: the model reads the failure in the text.
  return part.isError ? `Error: ${text}` : text;
}

function withName<T extends object>(message: T, name: string | undefined): T {
  return name === undefined ? message : { ...message, name };
}

/** One neutral message as OpenAI chat messages (a tool message becomes one per result). */
function convertMessage(message: ChatMessage, index: number, modelId: string): OpenAIMessage[] {
  const path = `messages[${index}]`;
  switch (message.role) {
    case 'system':
      return [
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
      ];
    case 'user': {
      if (typeof message.content === 'string') {
        return [withName({ role: 'user', content: message.content }, message.name)];
      }
      const content = message.content.map((part, partIndex): OpenAIUserPart => {
        if (part.type === 'text') return { type: 'text', text: part.text };
        if (part.type === 'image') return imagePart(part);
        return documentPart(part, `${path}.content[${partIndex}]`, modelId);
      });
      return [withName({ role: 'user', content }, message.name)];
    }
    case 'assistant': {
      if (typeof message.content === 'string') {
        return [withName({ role: 'assistant', content: message.content }, message.name)];
      }
      const texts: string[] = [];
      const toolCalls: OpenAI.Chat.ChatCompletionMessageToolCall[] = [];
      message.content.forEach((part, partIndex) => {
        if (part.type === 'text') texts.push(part.text);
        else if (part.type === 'tool-call') {
          toolCalls.push({
            id: part.toolCallId,
            type: 'function',
            function: { name: part.toolName, arguments: part.arguments },
          });
        } else {
          throw new UnsupportedParameterError(
            `${path}.content[${partIndex}] (reasoning)`,
            modelId,
            'is not supported by',
          );
        }
      });
      const assistant: OpenAI.Chat.ChatCompletionAssistantMessageParam = {
        role: 'assistant',
        content: texts.length > 0 ? texts.join('') : null,
      };
      if (toolCalls.length > 0) assistant.tool_calls = toolCalls;
      return [withName(assistant, message.name)];
    }
    case 'tool':
      return message.content.map((part, partIndex) => ({
        role: 'tool' as const,
        tool_call_id: part.toolCallId,
        content: toolResultText(part, `${path}.content[${partIndex}]`, modelId),
      }));
    default: {
      const unreachable: never = message;
      return unreachable;
    }
  }
}

/**
 * Converts neutral messages to Chat Completions messages. Parts stay parts (OpenAI reads a
 * text-part array as the texts in order), so nothing is glued; `cacheControl` breakpoints are
 * not sent: OpenAI caches prompt prefixes by itself (see `promptCacheKey`).
 */
export function convertToOpenAIChatMessages(
  messages: readonly ChatMessage[],
  modelId: string,
): OpenAIMessage[] {
  return messages.flatMap((message, index) => convertMessage(message, index, modelId));
}
