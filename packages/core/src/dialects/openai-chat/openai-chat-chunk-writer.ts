import type OpenAI from 'openai';
import type { StreamPart } from '../../providers/language-model';
import { openAIFinishReason, openAIUsage } from './convert-to-openai-chat-completion';

type Chunk = OpenAI.Chat.ChatCompletionChunk;
type Delta = OpenAI.Chat.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

export interface OpenAIChatChunkWriterOptions {
  id: string;
  model: string;
  created: number;
  /** `stream_options.include_usage`: a last chunk with empty choices and the usage. */
  includeUsage: boolean;
}

/**
 * Turns neutral stream parts into OpenAI `chat.completion.chunk`s, in OpenAI's order: the
 * first chunk carries `role: "assistant"`; a tool call starts with its index, id, type, name
 * and empty arguments, then argument chunks by index; the finish reason comes in its own chunk
 * with an empty delta, then (if asked) a usage chunk. Anthropic's reasoning signatures and
 * redacted reasoning have no place in this format and are not sent (see docs/messages.md).
 */
export class OpenAIChatChunkWriter {
  private roleSent = false;

  constructor(private readonly options: OpenAIChatChunkWriterOptions) {}

  /** The chunks for one stream part (none for parts this format cannot show). */
  write(part: StreamPart): Chunk[] {
    switch (part.type) {
      case 'text-delta':
        return [this.chunk({ content: part.delta })];
      case 'reasoning-delta':
        return [this.chunk({ reasoning_content: part.delta })];
      case 'tool-call-start':
        return [
          this.chunk({
            tool_calls: [
              {
                index: part.index,
                id: part.toolCallId,
                type: 'function',
                function: { name: part.toolName, arguments: '' },
              },
            ],
          }),
        ];
      case 'tool-call-delta':
        return [
          this.chunk({
            tool_calls: [{ index: part.index, function: { arguments: part.argumentsDelta } }],
          }),
        ];
      case 'reasoning-signature':
      case 'reasoning-redacted':
        return [];
      case 'finish': {
        const chunks = [this.chunk({}, openAIFinishReason(part.finishReason))];
        if (this.options.includeUsage)
          chunks.push({ ...this.base(), choices: [], usage: openAIUsage(part.usage) });
        return chunks;
      }
      default: {
        const unreachable: never = part;
        return unreachable;
      }
    }
  }

  private base(): Omit<Chunk, 'choices'> {
    const { id, model, created } = this.options;
    return { id, object: 'chat.completion.chunk', created, model };
  }

  private chunk(
    delta: Delta,
    finishReason: OpenAI.Chat.ChatCompletionChunk.Choice['finish_reason'] = null,
  ): Chunk {
    const withRole: Delta = this.roleSent ? delta : { role: 'assistant', ...delta };
    this.roleSent = true;
    const chunk: Chunk = {
      ...this.base(),
      choices: [{ index: 0, delta: withRole, finish_reason: finishReason }],
    };
    // OpenAI sends `usage: null` on every chunk but the last when usage was asked for.
    if (this.options.includeUsage) chunk.usage = null;
    return chunk;
  }
}
