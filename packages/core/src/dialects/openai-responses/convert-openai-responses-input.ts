import type { ChatMessage } from '../../messages/chat-message';
import type {
  AssistantContentPart,
  ImagePart,
  ReasoningPart,
  TextPart,
  ToolResultPart,
  UserContentPart,
} from '../../messages/content-part';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import { mediaSourceOf } from '../openai-chat/convert-openai-chat-messages';
import type { ResponsesInputContent, ResponsesInputItem } from './openai-responses-request-schema';
import { reasoningPartOfEncrypted } from './reasoning-encrypted-content';

const dialect = 'the OpenAI Responses format';

/** One input content part (`input_text`, `input_image`, `input_file`) in the neutral model. */
function convertInputContent(part: ResponsesInputContent, path: string): UserContentPart {
  switch (part.type) {
    case 'input_text':
      return { type: 'text', text: part.text };
    case 'input_image': {
      if (part.image_url == null) {
        // Uploaded files live at OpenAI; llmq has no file id to resolve them by.
        throw new UnsupportedParameterError(`${path}.file_id`, dialect);
      }
      if (part.detail === 'original') throw new UnsupportedParameterError(`${path}.detail`, 'llmq');
      const image: ImagePart = { type: 'image', source: mediaSourceOf(part.image_url) };
      return { ...image, detail: part.detail };
    }
    case 'input_file': {
      const data = part.file_data ?? part.file_url;
      if (data === undefined) throw new UnsupportedParameterError(`${path}.file_id`, dialect);
      const source =
        part.file_data !== undefined
          ? fileDataSource(part.file_data, part.filename)
          : mediaSourceOf(data);
      return part.filename === undefined
        ? { type: 'document', source }
        : { type: 'document', source, filename: part.filename };
    }
    default: {
      const unreachable: never = part;
      return unreachable;
    }
  }
}

/**
 * `file_data` is a data URL in the SDKs' examples, but OpenAI also takes bare base64 with a
 * `filename`; bare base64 is read as a PDF, the only document type providers take.
 */
function fileDataSource(data: string, filename: string | undefined) {
  const source = mediaSourceOf(data);
  if (source.type === 'base64' || filename === undefined) return source;
  return { type: 'base64' as const, mediaType: 'application/pdf', data };
}

function convertUserContent(
  content: string | ResponsesInputContent[],
  path: string,
): string | UserContentPart[] {
  if (typeof content === 'string') return content;
  return content.map((part, index) => convertInputContent(part, `${path}.content[${index}]`));
}

function textOnly(content: string | ResponsesInputContent[], path: string): string | TextPart[] {
  if (typeof content === 'string') return content;
  return content.map((part, index): TextPart => {
    if (part.type !== 'input_text')
      throw new UnsupportedParameterError(`${path}.content[${index}] (${part.type})`, dialect);
    return { type: 'text', text: part.text };
  });
}

function toolOutput(
  output: string | ResponsesInputContent[],
  path: string,
): ToolResultPart['content'] {
  if (typeof output === 'string') return output;
  return output.map((part, index): TextPart | ImagePart => {
    const converted = convertInputContent(part, `${path}.output[${index}]`);
    if (converted.type === 'document')
      throw new UnsupportedParameterError(`${path}.output[${index}] (input_file)`, 'llmq');
    return converted;
  });
}

/** The assistant message that the next assistant-side item joins (the last one, or a new one). */
function assistantParts(messages: ChatMessage[]): AssistantContentPart[] {
  const last = messages.at(-1);
  if (last?.role === 'assistant' && Array.isArray(last.content)) return last.content;
  const content: AssistantContentPart[] = [];
  messages.push({ role: 'assistant', content });
  return content;
}

/**
 * Reads Responses input items into neutral messages, in order. Consecutive assistant-side items
 * (assistant messages, reasoning, function calls) form one assistant message, and consecutive
 * function call outputs one tool message, as a chat model expects a turn.
 */
export function convertOpenAIResponsesInput(
  input: string | readonly ResponsesInputItem[],
): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const messages: ChatMessage[] = [];
  for (const [index, item] of input.entries()) addInputItem(messages, item, `input[${index}]`);
  return messages;
}

/** Adds one input item to the conversation: a message, or a part of the last one. */
function addInputItem(messages: ChatMessage[], item: ResponsesInputItem, path: string): void {
  switch (item.type) {
    case 'message':
      if (item.role === 'assistant') {
        const parts = assistantParts(messages);
        if (typeof item.content === 'string') {
          parts.push({ type: 'text', text: item.content });
          return;
        }
        item.content.forEach((part, partIndex) => {
          if (part.type === 'refusal')
            throw new UnsupportedParameterError(`${path}.content[${partIndex}] (refusal)`, 'llmq');
          parts.push({ type: 'text', text: part.text });
        });
        return;
      }
      if (item.role === 'user') {
        messages.push({ role: 'user', content: convertUserContent(item.content, path) });
        return;
      }
      messages.push({ role: 'system', content: textOnly(item.content, path) });
      return;
    case 'function_call':
      assistantParts(messages).push({
        type: 'tool-call',
        toolCallId: item.call_id,
        toolName: item.name,
        arguments: item.arguments,
      });
      return;
    case 'reasoning': {
      const text = (item.content ?? item.summary).map((part) => part.text).join('\n');
      const part: ReasoningPart = reasoningPartOfEncrypted(text, item.encrypted_content);
      assistantParts(messages).push(part);
      return;
    }
    case 'function_call_output': {
      const result: ToolResultPart = {
        type: 'tool-result',
        toolCallId: item.call_id,
        content: toolOutput(item.output, path),
      };
      const last = messages.at(-1);
      if (last?.role === 'tool') last.content.push(result);
      else messages.push({ role: 'tool', content: [result] });
      return;
    }
    case 'item_reference':
      // Resolved into the item it names before conversion; one left here names no stored item.
      throw new UnsupportedParameterError(`${path} (item_reference)`, dialect);
    default: {
      const unreachable: never = item;
      throw new Error(`unknown input item ${JSON.stringify(unreachable)}`);
    }
  }
}
