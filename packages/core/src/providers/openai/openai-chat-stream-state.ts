import type { FinishReason } from '../language-model';
import { convertOpenAIFinishReason } from './convert-openai-finish-reason';
import type { OpenAIUsageFields } from './convert-openai-usage';

/** The fields of a `chat.completion.chunk` the adapters read (SDK-typed or raw JSON). */
export interface OpenAIChatChunkFields {
  id?: string;
  model?: string;
  choices?: ReadonlyArray<{
    delta?: { content?: string | null } | null;
    finish_reason?: string | null;
  }>;
  usage?: OpenAIUsageFields | null;
}

/**
 * What a streamed chat completion has said so far. The finish reason and the usage arrive
 * in different chunks (usage last, with `stream_options.include_usage`), so the adapters
 * collect them here and emit one `finish` part at the end.
 */
export class OpenAIChatStreamState {
  responseId: string | undefined;
  responseModel: string | undefined;
  finishReason: FinishReason | undefined;
  usage: OpenAIUsageFields | undefined;

  /** Takes one chunk and returns its text delta, or undefined when it carries none. */
  accept(chunk: OpenAIChatChunkFields): string | undefined {
    if (this.responseId === undefined && typeof chunk.id === 'string' && chunk.id !== '') {
      this.responseId = chunk.id;
    }
    if (typeof chunk.model === 'string' && chunk.model !== '') this.responseModel = chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (choice === undefined) return undefined;
    if (choice.finish_reason) this.finishReason = convertOpenAIFinishReason(choice.finish_reason);
    const content = choice.delta?.content;
    return typeof content === 'string' && content !== '' ? content : undefined;
  }
}
