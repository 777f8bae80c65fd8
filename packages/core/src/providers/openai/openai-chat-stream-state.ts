import type { FinishReason, GenerateResult, StreamPart } from '../language-model';
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
  system_fingerprint?: string | null;
  service_tier?: string | null;
  choices?: ReadonlyArray<{
    /** Which of the `n` answers this delta belongs to (0 when absent). */
    index?: number;
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

type ChunkChoice = NonNullable<OpenAIChatChunkFields['choices']>[number];

/** How a streamed answer ended: each choice's finish reason, the first apart. */
export interface OpenAIStreamEnd {
  finishReason: FinishReason;
  /** Choices 1 … n−1, when the stream carried more than one. */
  otherFinishReasons?: FinishReason[];
}

export interface OpenAIChatStreamOptions {
  /**
   * How many answers the request asked for (its `n`; default 1). With more than one, each
   * answer's end is streamed as a `choice-end` part; a one-answer stream ends with `finish` only.
   */
  choices?: number;
}

/** One answer's progress: its finish reason, and OpenAI's tool call index → ours. */
class ChoiceState {
  finishReason: FinishReason | undefined;
  readonly toolCallIndexes = new Map<number, number>();
}

/**
 * What a streamed chat completion has said so far. The finish reason and the usage arrive
 * in different chunks (usage last, with `stream_options.include_usage`), so the adapters
 * collect them here and emit one `finish` part at the end. With `n` > 1 the chunks interleave
 * the answers, each chunk choice naming its `index`; each answer keeps its own finish reason
 * and tool call numbering, and its end is a `choice-end` part as soon as its finish reason
 * arrives (after the content of the same chunk), while the others keep streaming. A choice's
 * first finish reason is its reason. Tool calls arrive as deltas keyed by OpenAI's `index`:
 * the first delta of an index names the call, later ones add arguments.
 */
export class OpenAIChatStreamState {
  responseId: string | undefined;
  responseModel: string | undefined;
  /** What the chunks said of the system that answered (`system_fingerprint`, `service_tier`). */
  readonly serving: Pick<GenerateResult, 'systemFingerprint' | 'serviceTier'> = {};
  usage: OpenAIUsageFields | undefined;
  /** Whether the `response-metadata` part (from the first chunk) went out. */
  private metadataSent = false;
  /** Choice index → its state. */
  private readonly choices = new Map<number, ChoiceState>();
  /** The request asked for several answers: each one's end is a `choice-end` part. */
  private readonly endsEachChoice: boolean;

  constructor(options: OpenAIChatStreamOptions = {}) {
    this.endsEachChoice = (options.choices ?? 1) > 1;
  }

  /** Why the first answer ended, once it did. */
  get finishReason(): FinishReason | undefined {
    return this.choices.get(0)?.finishReason;
  }

  /**
   * Every answer's finish reason, once each answer seen (0 … the highest index) has one;
   * undefined while any has not ended (a stream cut short).
   */
  end(): OpenAIStreamEnd | undefined {
    const reasons: FinishReason[] = [];
    const count = Math.max(-1, ...this.choices.keys()) + 1;
    for (let index = 0; index < count; index += 1) {
      const reason = this.choices.get(index)?.finishReason;
      if (reason === undefined) return undefined;
      reasons.push(reason);
    }
    const [finishReason, ...others] = reasons;
    if (finishReason === undefined) return undefined;
    return others.length > 0 ? { finishReason, otherFinishReasons: others } : { finishReason };
  }

  /** Takes one chunk and returns the stream parts it carries (often one text delta, or none). */
  accept(chunk: OpenAIChatChunkFields): StreamPart[] {
    if (this.responseId === undefined && typeof chunk.id === 'string' && chunk.id !== '') {
      this.responseId = chunk.id;
    }
    if (typeof chunk.model === 'string' && chunk.model !== '') this.responseModel = chunk.model;
    if (typeof chunk.system_fingerprint === 'string')
      this.serving.systemFingerprint = chunk.system_fingerprint;
    if (typeof chunk.service_tier === 'string') this.serving.serviceTier = chunk.service_tier;
    if (chunk.usage) this.usage = chunk.usage;
    const parts: StreamPart[] = [];
    if (!this.metadataSent) {
      // OpenAI's first chunk already says where the call runs, as every later one does; the
      // chat format reports no cache writes (see `convertOpenAIUsage`), so there were none.
      this.metadataSent = true;
      parts.push({
        type: 'response-metadata',
        ...this.serving,
        cacheWrites: { inputTokens: 0, oneHourInputTokens: 0 },
      });
    }
    if (!Array.isArray(chunk.choices)) return parts;
    for (const choice of chunk.choices) this.acceptChoice(choice, parts);
    return parts;
  }

  private acceptChoice(choice: ChunkChoice, parts: StreamPart[]): void {
    const index = typeof choice.index === 'number' ? choice.index : 0;
    let state = this.choices.get(index);
    if (state === undefined) {
      state = new ChoiceState();
      this.choices.set(index, state);
    }
    // Parts of the first answer name no choice: a one-answer stream reads as it always did.
    const of = index === 0 ? {} : { choice: index };
    const ended =
      choice.finish_reason && state.finishReason === undefined
        ? convertOpenAIFinishReason(choice.finish_reason)
        : undefined;
    if (ended !== undefined) state.finishReason = ended;
    const delta = choice.delta;
    const reasoning = delta?.reasoning_content;
    if (typeof reasoning === 'string' && reasoning !== '') {
      parts.push({ type: 'reasoning-delta', delta: reasoning, ...of });
    }
    const content = typeof delta?.content === 'string' ? delta.content : '';
    const logprobs = convertOpenAILogprobs(choice.logprobs);
    if (logprobs !== undefined && logprobs.length > 0)
      parts.push({ type: 'text-delta', delta: content, logprobs, ...of });
    else if (content !== '') parts.push({ type: 'text-delta', delta: content, ...of });
    for (const call of delta?.tool_calls ?? []) acceptToolCall(call, state, of, parts);
    if (ended !== undefined && this.endsEachChoice)
      parts.push({ type: 'choice-end', finishReason: ended, ...of });
  }
}

function acceptToolCall(
  call: OpenAIToolCallDeltaFields,
  state: ChoiceState,
  of: { choice?: number },
  parts: StreamPart[],
): void {
  const upstreamIndex = call.index ?? 0;
  let index = state.toolCallIndexes.get(upstreamIndex);
  if (index === undefined) {
    index = state.toolCallIndexes.size;
    state.toolCallIndexes.set(upstreamIndex, index);
    parts.push({
      type: 'tool-call-start',
      index,
      toolCallId: call.id ?? `call_${index}`,
      toolName: call.function?.name ?? '',
      ...of,
    });
  }
  const argumentsDelta = call.function?.arguments;
  if (typeof argumentsDelta === 'string' && argumentsDelta !== '') {
    parts.push({ type: 'tool-call-delta', index, argumentsDelta, ...of });
  }
}
