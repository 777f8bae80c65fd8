import type { ChatMessage } from '../../messages/chat-message';
import type {
  AssistantContentPart,
  DocumentPart,
  ImagePart,
  ToolResultPart,
} from '../../messages/content-part';
import { textOf } from '../../messages/text-of';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { Content, Part } from './gemini-sdk';
import { textSignatureOf } from './gemini-text-signature';
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
        // A text part's signature (carried as a reasoning part) goes back on its text part.
        const textSignatures: Array<{ after: number; signature: string }> = [];
        const parts = message.content.flatMap((part, partIndex): Part[] => {
          switch (part.type) {
            case 'text':
              return [{ text: part.text }];
            case 'reasoning': {
              if (part.redactedData !== undefined) {
                throw new UnsupportedParameterError(
                  `${path}.content[${partIndex}].redactedData`,
                  modelId,
                );
              }
              const textSignature = textSignatureOf(part.signature);
              if (textSignature !== undefined) {
                textSignatures.push({ after: partIndex, signature: textSignature });
                return part.text === '' ? [] : [{ text: part.text, thought: true }];
              }
              return [
                {
                  text: part.text,
                  thought: true,
                  ...(part.signature === undefined ? {} : { thoughtSignature: part.signature }),
                },
              ];
            }
            case 'tool-call': {
              callNames.set(part.toolCallId, part.toolName);
              const { id, thoughtSignature } = geminiCallOf(part.toolCallId);
              return [
                {
                  functionCall: {
                    ...(id === undefined ? {} : { id }),
                    name: part.toolName,
                    args: parseArguments(part.arguments, `${path}.content[${partIndex}]`, modelId),
                  },
                  ...(thoughtSignature === undefined ? {} : { thoughtSignature }),
                },
              ];
            }
            default: {
              const unreachable: never = part;
              return unreachable;
            }
          }
        });
        signTextParts(message.content, parts, textSignatures);
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

/**
 * Puts each text part's signature back on its text part: the nearest text before the reasoning
 * part that carried it (as llmq answers them), else the turn's last text (the OpenAI format
 * sends reasoning before the text), else an empty text part of its own. One pass.
 */
function signTextParts(
  content: readonly AssistantContentPart[],
  parts: Part[],
  signatures: ReadonlyArray<{ after: number; signature: string }>,
): void {
  if (signatures.length === 0) return;
  // The text parts of `parts` are those of `content`, in the same order.
  const textParts = parts.filter((part) => part.text !== undefined && part.thought !== true);
  const unplaced: string[] = [];
  let texts = 0;
  let signature = 0;
  content.forEach((part, index) => {
    if (part.type === 'text') texts += 1;
    for (; signatures[signature]?.after === index; signature += 1) {
      const target = textParts[texts - 1];
      const given = (signatures[signature] as { signature: string }).signature;
      if (target === undefined) unplaced.push(given);
      else target.thoughtSignature = given;
    }
  });
  const last = textParts.at(-1);
  for (const given of unplaced) {
    if (last === undefined) parts.push({ text: '', thoughtSignature: given });
    else last.thoughtSignature = given;
  }
}
