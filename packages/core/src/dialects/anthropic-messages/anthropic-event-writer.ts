import type Anthropic from '@anthropic-ai/sdk';
import type { StreamPart } from '../../providers/language-model';
import { anthropicStopReason, anthropicUsage, textBlock } from './convert-to-anthropic-message';

type Event = Anthropic.RawMessageStreamEvent;
type BlockKind = 'text' | 'thinking' | 'tool_use';

export interface AnthropicEventWriterOptions {
  id: string;
  model: string;
  /**
   * Input tokens for `message_start` (the estimate before the call; OpenAI-format providers
   * report the real count only at the end, which `message_delta.usage` then carries).
   */
  inputTokens: number;
}

/**
 * Turns neutral stream parts into Anthropic Messages stream events, in Anthropic's order:
 * `message_start`, then per content block `content_block_start`, its deltas
 * (`text_delta`, `thinking_delta` + `signature_delta`, `input_json_delta`) and
 * `content_block_stop`, then `message_delta` (stop reason, stop sequence, usage) and
 * `message_stop`. A block closes when a part of another kind (or another tool call) arrives.
 * `message_start` goes out with the first part but `response-metadata`, which fills it: the
 * provider's cache writes, which no later event can correct.
 */
export class AnthropicEventWriter {
  private started = false;
  /** The provider's cache writes, from its `response-metadata` part, for `message_start`. */
  private cacheWrites: { inputTokens: number; oneHourInputTokens: number } | undefined;
  private blockIndex = -1;
  private open: { kind: BlockKind; toolIndex?: number } | undefined;

  constructor(private readonly options: AnthropicEventWriterOptions) {}

  write(part: StreamPart): Event[] {
    // Only an `n` > 1 stream has these, and the Messages API has no `n`.
    if (part.type === 'choice-end') return [];
    if (part.type === 'response-metadata') {
      // Written into `message_start`, which goes out with the next part.
      if (!this.started) this.cacheWrites = part.cacheWrites;
      return [];
    }
    const events = this.started ? [] : [this.messageStart()];
    this.started = true;
    switch (part.type) {
      case 'text-delta':
        events.push(
          ...this.ensureBlock('text'),
          this.delta({ type: 'text_delta', text: part.delta }),
        );
        break;
      case 'reasoning-delta':
        events.push(
          ...this.ensureBlock('thinking'),
          this.delta({ type: 'thinking_delta', thinking: part.delta }),
        );
        break;
      case 'reasoning-signature':
        events.push(
          ...this.ensureBlock('thinking'),
          this.delta({ type: 'signature_delta', signature: part.signature }),
        );
        break;
      case 'reasoning-redacted':
        // A redacted block arrives whole: it opens and closes at once.
        events.push(
          ...this.close(),
          this.startBlock({ type: 'redacted_thinking', data: part.data }),
          {
            type: 'content_block_stop',
            index: this.blockIndex,
          },
        );
        break;
      case 'tool-call-start':
        events.push(
          ...this.close(),
          this.startBlock(
            {
              type: 'tool_use',
              id: part.toolCallId,
              name: part.toolName,
              input: {},
              caller: { type: 'direct' },
            },
            part.index,
          ),
        );
        break;
      case 'tool-call-delta':
        if (this.open?.kind !== 'tool_use' || this.open.toolIndex !== part.index) {
          throw new Error(`arguments for tool call ${part.index} outside its block`);
        }
        events.push(this.delta({ type: 'input_json_delta', partial_json: part.argumentsDelta }));
        break;
      case 'finish':
        events.push(
          ...this.close(),
          {
            type: 'message_delta',
            delta: {
              stop_reason: anthropicStopReason(part.finishReason, part.stopSequence),
              stop_sequence: part.stopSequence ?? null,
              container: null,
              stop_details: null,
            },
            usage: (({ cache_creation, inference_geo, service_tier, speed, ...usage }) => usage)(
              anthropicUsage(part.usage),
            ),
          },
          { type: 'message_stop' },
        );
        break;
      default: {
        const unreachable: never = part;
        return unreachable;
      }
    }
    return events;
  }

  private messageStart(): Event {
    const { id, model, inputTokens } = this.options;
    const { cacheWrites } = this;
    return {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        container: null,
        diagnostics: null,
        stop_details: null,
        usage: {
          ...anthropicUsage({
            inputTokens,
            outputTokens: 1,
            cachedInputTokens: 0,
            totalTokens: inputTokens + 1,
            ...(cacheWrites
              ? {
                  cacheWriteInputTokens: cacheWrites.inputTokens,
                  cacheWrite1hInputTokens: cacheWrites.oneHourInputTokens,
                }
              : {}),
          }),
          // `message_delta` has no field for the cache writes' split by lifetime, so this is
          // what a client keeps: the provider's, from its first event (a cached answer's, from
          // its result); without it (a provider that says nothing before its end), unknown
          // rather than zeros a reader would sum. (The totals follow in `message_delta`.)
          ...(cacheWrites ? {} : { cache_creation: null }),
        },
      },
    };
  }

  /** Opens a text or thinking block unless one of that kind is open. */
  private ensureBlock(kind: 'text' | 'thinking'): Event[] {
    if (this.open?.kind === kind) return [];
    const block: Anthropic.RawContentBlockStartEvent['content_block'] =
      kind === 'text' ? textBlock('') : { type: 'thinking', thinking: '', signature: '' };
    return [...this.close(), this.startBlock(block)];
  }

  private startBlock(
    block: Anthropic.RawContentBlockStartEvent['content_block'],
    toolIndex?: number,
  ): Event {
    this.blockIndex += 1;
    if (block.type === 'text' || block.type === 'thinking' || block.type === 'tool_use') {
      this.open = { kind: block.type, toolIndex };
    } else {
      this.open = undefined;
    }
    return { type: 'content_block_start', index: this.blockIndex, content_block: block };
  }

  private delta(delta: Anthropic.RawContentBlockDelta): Event {
    return { type: 'content_block_delta', index: this.blockIndex, delta };
  }

  private close(): Event[] {
    if (this.open === undefined) {
      return [];
    }
    this.open = undefined;
    return [{ type: 'content_block_stop', index: this.blockIndex }];
  }
}
