import type { FinishReason, StreamPart } from '../language-model';
import { convertOpenAILogprobs } from './convert-openai-chat-completion';
import { convertOpenAIFinishReason } from './convert-openai-finish-reason';
import type { OpenAIUsageFields } from './convert-openai-usage';

interface OpenAIToolCallDeltaFields {
  index?: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/** The fields of a `chat.completion.chunk` the adapters read (SDK-typed or raw JSON). */
export interface OpenAIChatChunkFields {
  id?: string;
  model?: string;
  choices?: ReadonlyArray<{
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      tool_calls?: ReadonlyArray<OpenAIToolCallDeltaFields> | null;
    } | null;
    finish_reason?: string | null;
    /** The tokens of this chunk's content delta, with `logprobs: true` (`{ content: [...] }`). */
    logprobs?: unknown;
  }>;
  usage?: OpenAIUsageFields | null;
}

/**
 * What a streamed chat completion has said so far. The finish reason and the usage arrive
 * in different chunks (usage last, with `stream_options.include_usage`), so the adapters
 * collect them here and emit one `finish` part at the end. Tool calls arrive as deltas keyed
 * by OpenAI's `index`: the first delta of an index names the call, later ones add arguments.
 */
export class OpenAIChatStreamState {
  responseId: string | undefined;
  responseModel: string | undefined;
  finishReason: FinishReason | undefined;
  usage: OpenAIUsageFields | undefined;
  /** OpenAI's tool call index → ours (0, 1, … in order of appearance). */
  private readonly toolCallIndexes = new Map<number, number>();

  /** Takes one chunk and returns the stream parts it carries (often one text delta, or none). */
  accept(chunk: OpenAIChatChunkFields): StreamPart[] {
    if (this.responseId === undefined && typeof chunk.id === 'string' && chunk.id !== '') {
      this.responseId = chunk.id;
    }
    if (typeof chunk.model === 'string' && chunk.model !== '') this.responseModel = chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (choice === undefined) return [];
    if (choice.finish_reason) this.finishReason = convertOpenAIFinishReason(choice.finish_reason);
    const parts: StreamPart[] = [];
    const delta = choice.delta;
    const reasoning = delta?.reasoning_content;
    if (typeof reasoning === 'string' && reasoning !== '') {
      parts.push({ type: 'reasoning-delta', delta: reasoning });
    }
    const content = typeof delta?.content === 'string' ? delta.content : '';
    const logprobs = convertOpenAILogprobs(choice.logprobs);
    if (logprobs !== undefined && logprobs.length > 0)
      parts.push({ type: 'text-delta', delta: content, logprobs });
    else if (content !== '') parts.push({ type: 'text-delta', delta: content });
    for (const call of delta?.tool_calls ?? []) parts.push(...this.acceptToolCall(call));
    return parts;
  }

  private acceptToolCall(call: OpenAIToolCallDeltaFields): StreamPart[] {
    const upstreamIndex = call.index ?? 0;
    let index = this.toolCallIndexes.get(upstreamIndex);
    const parts: StreamPart[] = [];
    if (index === undefined) {
      index = this.toolCallIndexes.size;
      this.toolCallIndexes.set(upstreamIndex, index);
      parts.push({
        type: 'tool-call-start',
        index,
        toolCallId: call.id ?? `call_${index}`,
        toolName: call.function?.name ?? '',
      });
    }
    const argumentsDelta = call.function?.arguments;
    if (typeof argumentsDelta === 'string' && argumentsDelta !== '') {
      parts.push({ type: 'tool-call-delta', index, argumentsDelta });
    }
    return parts;
  }
}
