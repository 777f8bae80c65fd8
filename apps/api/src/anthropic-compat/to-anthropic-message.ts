import type { FinishReason, JobResult } from '@llmq/core';

/** Anthropic's `stop_reason` for ours. */
export function toAnthropicStopReason(reason: FinishReason): string {
  switch (reason) {
    case 'stop':
    case 'other':
      return 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'refusal';
    case 'tool_calls':
      return 'tool_use';
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

/** The id Anthropic clients see: the job id, so a support question leads straight to the job. */
export function anthropicMessageId(jobId: string): string {
  return `msg_${jobId}`;
}

function toAnthropicUsage(result: JobResult) {
  return {
    input_tokens: result.usage.input_tokens,
    output_tokens: result.usage.output_tokens,
    cache_read_input_tokens: result.usage.cached_input_tokens,
    cache_creation_input_tokens: 0,
  };
}

/** A `message` object for a finished job. */
export function toAnthropicMessage(id: string, result: JobResult) {
  return {
    id,
    type: 'message' as const,
    role: 'assistant' as const,
    model: result.model,
    content: [{ type: 'text' as const, text: result.text }],
    stop_reason: toAnthropicStopReason(result.finish_reason),
    stop_sequence: null,
    usage: toAnthropicUsage(result),
  };
}

/** One Anthropic SSE event: its name and JSON data. */
export interface AnthropicStreamEvent {
  event: string;
  data: string;
}

function event(type: string, payload: Record<string, unknown>): AnthropicStreamEvent {
  return { event: type, data: JSON.stringify({ type, ...payload }) };
}

/**
 * The events of one streamed message, in Anthropic's order: `message_start`,
 * `content_block_start`, `content_block_delta`…, `content_block_stop`, `message_delta`,
 * `message_stop`. Usage is known only at the end, so `message_start` reports zeros and
 * `message_delta` the real counts (input tokens included).
 */
export const anthropicStreamEvents = {
  start(id: string, model: string): AnthropicStreamEvent[] {
    return [
      event('message_start', {
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ];
  },
  text(text: string): AnthropicStreamEvent {
    return event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
  },
  finish(result: JobResult): AnthropicStreamEvent[] {
    return [
      event('content_block_stop', { index: 0 }),
      event('message_delta', {
        delta: { stop_reason: toAnthropicStopReason(result.finish_reason), stop_sequence: null },
        usage: toAnthropicUsage(result),
      }),
      event('message_stop', {}),
    ];
  },
};
