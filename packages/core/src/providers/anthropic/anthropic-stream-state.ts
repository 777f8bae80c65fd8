import type Anthropic from '@anthropic-ai/sdk';
import type { FinishReason, StreamPart } from '../language-model';
import { convertAnthropicFinishReason } from './convert-anthropic-finish-reason';
import {
  type AnthropicUsageFields,
  convertAnthropicUsage,
  mergeAnthropicUsage,
} from './convert-anthropic-usage';

/**
 * What a streamed Messages answer has said so far. Content blocks become neutral stream
 * parts: text and thinking deltas, signatures, and tool calls numbered 0, 1, … in the order
 * their `tool_use` blocks start (Anthropic's block index counts text blocks too).
 */
export class AnthropicStreamState {
  responseId: string | undefined;
  responseModel: string | undefined;
  usage: AnthropicUsageFields = {};
  finishReason: FinishReason = 'other';
  stopSequence: string | undefined;
  stopped = false;
  /** Anthropic content block index → our tool call index. */
  private readonly toolCallIndexes = new Map<number, number>();

  accept(event: Anthropic.RawMessageStreamEvent): StreamPart[] {
    switch (event.type) {
      case 'message_start':
        this.responseId = event.message.id;
        this.responseModel = event.message.model;
        this.usage = event.message.usage;
        return [{ type: 'response-metadata', cacheWrites: cacheWritesOf(this.usage) }];
      case 'content_block_start':
        return this.startBlock(event.index, event.content_block);
      case 'content_block_delta':
        return this.acceptDelta(event.index, event.delta);
      case 'message_delta':
        this.finishReason = convertAnthropicFinishReason(event.delta.stop_reason);
        if (event.delta.stop_reason === 'stop_sequence' && event.delta.stop_sequence) {
          this.stopSequence = event.delta.stop_sequence;
        }
        this.usage = mergeAnthropicUsage(this.usage, event.usage);
        return [];
      case 'message_stop':
        this.stopped = true;
        return [];
      default:
        // content_block_stop carries nothing we need.
        return [];
    }
  }

  private startBlock(
    index: number,
    block: Anthropic.RawContentBlockStartEvent['content_block'],
  ): StreamPart[] {
    if (block.type === 'tool_use') {
      const toolIndex = this.toolCallIndexes.size;
      this.toolCallIndexes.set(index, toolIndex);
      return [
        { type: 'tool-call-start', index: toolIndex, toolCallId: block.id, toolName: block.name },
      ];
    }
    if (block.type === 'redacted_thinking')
      return [{ type: 'reasoning-redacted', data: block.data }];
    // Text and thinking blocks start empty here; their text comes in deltas.
    return [];
  }

  private acceptDelta(index: number, delta: Anthropic.RawContentBlockDelta): StreamPart[] {
    switch (delta.type) {
      case 'text_delta':
        return delta.text === '' ? [] : [{ type: 'text-delta', delta: delta.text }];
      case 'thinking_delta':
        return delta.thinking === '' ? [] : [{ type: 'reasoning-delta', delta: delta.thinking }];
      case 'signature_delta':
        return [{ type: 'reasoning-signature', signature: delta.signature }];
      case 'input_json_delta': {
        const toolIndex = this.toolCallIndexes.get(index);
        if (toolIndex === undefined || delta.partial_json === '') return [];
        return [{ type: 'tool-call-delta', index: toolIndex, argumentsDelta: delta.partial_json }];
      }
      default:
        // citations_delta: llmq sends no citation-enabled documents.
        return [];
    }
  }
}

/** The cache writes `message_start` reports, as the final usage will count them. */
function cacheWritesOf(usage: AnthropicUsageFields) {
  const converted = convertAnthropicUsage(usage);
  return {
    inputTokens: converted.cacheWriteInputTokens ?? 0,
    oneHourInputTokens: converted.cacheWrite1hInputTokens ?? 0,
  };
}
