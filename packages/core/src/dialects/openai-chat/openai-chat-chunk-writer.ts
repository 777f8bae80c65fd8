import type OpenAI from 'openai';
import type { TokenLogprob } from '../../messages/chat-result';
import { choiceOf } from '../../messages/stream-part';
import type { FinishReason, StreamPart } from '../../providers/language-model';
import {
  type OpenAIAnswerOptions,
  openAIFinishReason,
  openAIServing,
  openAITokenLogprobs,
  openAIUsage,
} from './convert-to-openai-chat-completion';
import type { OpenAIThinkingBlock } from './openai-chat-request-schema';

type Chunk = OpenAI.Chat.ChatCompletionChunk;
type Delta = OpenAI.Chat.ChatCompletionChunk.Choice.Delta & {
  reasoning_content?: string;
  thinking_blocks?: OpenAIThinkingBlock[];
};

export interface OpenAIChatChunkWriterOptions extends OpenAIAnswerOptions {
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
 * with an empty delta, then (if asked) a usage chunk. Reasoning text streams as
 * `reasoning_content`; when Anthropic signs a thinking block, a chunk carries the whole block
 * with its signature in `thinking_blocks` (LiteLLM's field), as does redacted reasoning, so a
 * client can send them back in its next turn (see docs/messages.md).
 *
 * With `n` > 1 each chunk's one choice carries its part's `index` (the part's `choice`), and
 * each choice gets its own role chunk, deltas and finish chunk, as OpenAI interleaves them: a
 * choice's finish chunk goes out at its `choice-end` part, while the others keep streaming, and
 * `finish` writes only those of choices that had none (all of them, for a stream without
 * `choice-end` parts); the usage chunk, last, counts them all.
 */
export class OpenAIChatChunkWriter {
  /** The choices whose first chunk (with the role) went out. */
  private readonly roleSent = new Set<number>();
  /** The choices whose finish chunk went out. */
  private readonly ended = new Set<number>();
  /**
   * The provider's `service_tier` and `system_fingerprint`, from its `response-metadata` part
   * (its first chunk; a cached answer's from its result) and again from its `finish`; until a
   * provider says, what OpenAI sends for its default tier without a fingerprint. The SDK's
   * assembled completion takes the last chunk's.
   */
  private serving = openAIServing({});
  /** Per choice, the reasoning text since its last signed block: what the next signature proves. */
  private readonly unsignedReasoning = new Map<number, string[]>();

  constructor(private readonly options: OpenAIChatChunkWriterOptions) {}

  /** The chunks for one stream part. */
  write(part: StreamPart): Chunk[] {
    if (part.type === 'finish') return this.finish(part);
    const choice = choiceOf(part);
    switch (part.type) {
      case 'text-delta':
        return [this.chunk(choice, { content: part.delta }, null, part.logprobs)];
      case 'reasoning-delta':
        this.reasoningOf(choice).push(part.delta);
        return [this.chunk(choice, { reasoning_content: part.delta })];
      case 'reasoning-signature': {
        const thinking = this.reasoningOf(choice).join('');
        this.unsignedReasoning.delete(choice);
        return [
          this.chunk(choice, {
            thinking_blocks: [{ type: 'thinking', thinking, signature: part.signature }],
          }),
        ];
      }
      case 'reasoning-redacted':
        return [
          this.chunk(choice, {
            thinking_blocks: [{ type: 'redacted_thinking', data: part.data }],
          }),
        ];
      case 'tool-call-start':
        if (this.options.legacyFunctions) {
          // A legacy answer carries one call (see `OpenAIAnswerOptions`), without an id.
          if (part.index > 0) return [];
          return [this.chunk(choice, { function_call: { name: part.toolName, arguments: '' } })];
        }
        return [
          this.chunk(choice, {
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
        if (this.options.legacyFunctions) {
          if (part.index > 0) return [];
          return [this.chunk(choice, { function_call: { arguments: part.argumentsDelta } })];
        }
        return [
          this.chunk(choice, {
            tool_calls: [{ index: part.index, function: { arguments: part.argumentsDelta } }],
          }),
        ];
      case 'choice-end':
        return this.end(choice, part.finishReason);
      case 'response-metadata':
        // Every chunk from here on carries the provider's fingerprint and tier.
        this.serving = openAIServing(part);
        return [];
      default: {
        const unreachable: never = part;
        return unreachable;
      }
    }
  }

  /** A choice's finish chunk (an empty delta with its `finish_reason`), once. */
  private end(choice: number, reason: FinishReason): Chunk[] {
    if (this.ended.has(choice)) return [];
    this.ended.add(choice);
    return [this.chunk(choice, {}, openAIFinishReason(reason, this.options))];
  }

  /**
   * The finish chunks of the choices not ended yet, in index order, then the usage chunk when
   * asked.
   */
  private finish(part: Extract<StreamPart, { type: 'finish' }>): Chunk[] {
    this.serving = openAIServing(part);
    const reasons: FinishReason[] = [part.finishReason, ...(part.otherFinishReasons ?? [])];
    const chunks = reasons.flatMap((reason, choice) => this.end(choice, reason));
    if (this.options.includeUsage)
      chunks.push({ ...this.base(), choices: [], usage: openAIUsage(part.usage) });
    return chunks;
  }

  private reasoningOf(choice: number): string[] {
    let reasoning = this.unsignedReasoning.get(choice);
    if (reasoning === undefined) {
      reasoning = [];
      this.unsignedReasoning.set(choice, reasoning);
    }
    return reasoning;
  }

  private base(): Omit<Chunk, 'choices'> {
    const { id, model, created } = this.options;
    return { id, object: 'chat.completion.chunk', created, model, ...this.serving };
  }

  private chunk(
    choice: number,
    delta: Delta,
    finishReason: OpenAI.Chat.ChatCompletionChunk.Choice['finish_reason'] = null,
    logprobs?: TokenLogprob[],
  ): Chunk {
    const withRole: Delta = this.roleSent.has(choice) ? delta : { role: 'assistant', ...delta };
    this.roleSent.add(choice);
    // OpenAI's choices carry `logprobs` on every chunk: the content delta's tokens when asked
    // for (`logprobs: true`), else null.
    const chunk: Chunk = {
      ...this.base(),
      choices: [
        {
          index: choice,
          delta: withRole,
          logprobs:
            logprobs !== undefined
              ? { content: openAITokenLogprobs(logprobs), refusal: null }
              : null,
          finish_reason: finishReason,
        },
      ],
    };
    // OpenAI sends `usage: null` on every chunk but the last when usage was asked for.
    if (this.options.includeUsage) chunk.usage = null;
    return chunk;
  }
}
