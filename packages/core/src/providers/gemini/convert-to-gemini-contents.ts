import type { ChatMessage } from '../../messages/chat-message';
import type { DocumentPart, ImagePart, ToolResultPart } from '../../messages/content-part';
import { textOf } from '../../messages/text-of';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { Content, Part } from './gemini-sdk';
import { geminiCallOf } from './gemini-tool-call-id';

/** The conversation in Gemini's form: the system instruction apart, then the turns. */
export interface GeminiContents {
  systemInstruction?: Content;
  contents: Content[];
}

function mediaPart(part: ImagePart | DocumentPart, path: string, modelId: string): Part {
  // The Gemini API takes bytes inline or a Files API URI, not an arbitrary URL.
  if (part.source.type === 'url') {
    throw new UnsupportedParameterError(
      `${path}.source.url`,
      modelId,
      `(an ${part.type} by URL) is not supported by`,
    );
  }
  if (part.type === 'image' && part.detail !== undefined) {
    throw new UnsupportedParameterError(`${path}.detail`, modelId);
  }
  return { inlineData: { mimeType: part.source.mediaType, data: part.source.data } };
}

/**
 * A tool result as a `functionResponse`: Gemini matches it to the call by function name (and
 * by id when the model gave one), and takes an object: `{output}` or, for a failure, `{error}`.
 */
function functionResponsePart(
  part: ToolResultPart,
  path: string,
  modelId: string,
  callNames: ReadonlyMap<string, string>,
): Part {
  const name = callNames.get(part.toolCallId);
  if (name === undefined) {
    throw new UnsupportedParameterError(
      `${path}.toolCallId`,
      modelId,
      '(no earlier assistant message made this tool call) cannot be sent to',
    );
  }
  if (typeof part.content !== 'string' && part.content.some((inner) => inner.type !== 'text')) {
    throw new UnsupportedParameterError(
      `${path}.content`,
      modelId,
      '(an image in a tool result) is not supported by',
    );
  }
  const text = textOf(part);
  const { id } = geminiCallOf(part.toolCallId);
  return {
    functionResponse: {
      ...(id === undefined ? {} : { id }),
      name,
      response: part.isError === true ? { error: text } : { output: text },
    },
  };
}

/**
 * Converts neutral messages to Gemini contents: system messages become the system
 * instruction (they must come first), assistant turns `model` contents, tool messages `user`
 * contents of `functionResponse` parts. `cacheControl` breakpoints are not sent: Gemini caches
 * prompt prefixes by itself (implicit caching).
 */
export function convertToGeminiContents(
  messages: readonly ChatMessage[],
  modelId: string,
): GeminiContents {
  const systemParts: Part[] = [];
  const contents: Content[] = [];
  /** Tool call id → function name, from the assistant turns so far. */
  const callNames = new Map<string, string>();
  for (const [index, message] of messages.entries()) {
    const path = `messages[${index}]`;
    if ('name' in message && message.name !== undefined) {
      throw new UnsupportedParameterError(`${path}.name`, modelId);
    }
    switch (message.role) {
      case 'system':
        if (contents.length > 0) {
          throw new UnsupportedParameterError(
            path,
            modelId,
            '(a system message after the conversation started) is not supported by',
          );
        }
        systemParts.push({ text: textOf(message) });
        break;
      case 'user': {
        const parts: Part[] =
          typeof message.content === 'string'
            ? [{ text: message.content }]
            : message.content.map((part, partIndex) =>
                part.type === 'text'
                  ? { text: part.text }
                  : mediaPart(part, `${path}.content[${partIndex}]`, modelId),
              );
        contents.push({ role: 'user', parts });
        break;
      }
      case 'assistant': {
        if (typeof message.content === 'string') {
          contents.push({ role: 'model', parts: [{ text: message.content }] });
          break;
        }
        const parts = message.content.map((part, partIndex): Part => {
          switch (part.type) {
            case 'text':
              return { text: part.text };
            case 'reasoning':
              if (part.redactedData !== undefined) {
                throw new UnsupportedParameterError(
                  `${path}.content[${partIndex}].redactedData`,
                  modelId,
                );
              }
              return {
                text: part.text,
                thought: true,
                ...(part.signature === undefined ? {} : { thoughtSignature: part.signature }),
              };
            case 'tool-call': {
              callNames.set(part.toolCallId, part.toolName);
              const { id, thoughtSignature } = geminiCallOf(part.toolCallId);
              return {
                functionCall: {
                  ...(id === undefined ? {} : { id }),
                  name: part.toolName,
                  args: parseArguments(part.arguments, `${path}.content[${partIndex}]`, modelId),
                },
                ...(thoughtSignature === undefined ? {} : { thoughtSignature }),
              };
            }
            default: {
              const unreachable: never = part;
              return unreachable;
            }
          }
        });
        // An assistant turn of tool calls alone may arrive with no parts at all.
        if (parts.length > 0) contents.push({ role: 'model', parts });
        break;
      }
      case 'tool':
        contents.push({
          role: 'user',
          parts: message.content.map((part, partIndex) =>
            functionResponsePart(part, `${path}.content[${partIndex}]`, modelId, callNames),
          ),
        });
        break;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown message ${String(unreachable)}`);
      }
    }
  }
  return systemParts.length > 0
    ? { systemInstruction: { parts: systemParts }, contents }
    : { contents };
}

/** Gemini takes call arguments as an object, not JSON text. */
function parseArguments(text: string, path: string, modelId: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Refused below, naming the field.
  }
  throw new UnsupportedParameterError(
    `${path}.arguments`,
    modelId,
    '(not a JSON object) cannot be sent to',
  );
}
