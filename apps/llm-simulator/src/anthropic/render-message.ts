import type { ChatAnswerPlan } from '../chat/plan-chat-answer';
import { splitArguments } from '../chat/split-arguments';
import type { Reply } from '../generation/generate-reply';
import { groupReplyDeltas } from '../generation/group-reply-deltas';
import { sealRedactedThinking, signThinking } from '../reasoning/thinking-signature';
import type { SseEvent } from '../server/sse-event';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason';

/** Token counts of a message, split the way Anthropic reports them. */
export interface MessageUsage {
  /** Input tokens neither read from nor written to the cache. */
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Of `cacheWriteTokens`, those written at `ttl: "1h"` breakpoints. */
  cacheWriteTokensOneHour: number;
  /** Output tokens spent thinking (part of `outputTokens`). */
  thinkingTokens: number;
  outputTokens: number;
}

/** Everything a message answer is rendered from, whole or streamed. */
export interface AnsweredMessage {
  id: string;
  model: string;
  /** The thinking block's text, when thinking is enabled. */
  thinking: Reply | null;
  /** Whether a `redacted_thinking` block follows the thinking block. */
  redacted: boolean;
  plan: ChatAnswerPlan;
  toolUseIds: string[];
  usage: MessageUsage;
}

type ContentBlock = Record<string, unknown> & { type: string };

function usageBody(usage: MessageUsage, outputTokens: number) {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    cache_creation: {
      ephemeral_5m_input_tokens: usage.cacheWriteTokens - usage.cacheWriteTokensOneHour,
      ephemeral_1h_input_tokens: usage.cacheWriteTokensOneHour,
    },
    service_tier: 'standard',
    ...(usage.thinkingTokens > 0
      ? { output_tokens_details: { thinking_tokens: usage.thinkingTokens } }
      : {}),
  };
}

function messageShell(message: AnsweredMessage, outputTokens: number) {
  return {
    id: message.id,
    type: 'message',
    role: 'assistant',
    model: message.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    stop_details: null,
    usage: usageBody(message.usage, outputTokens),
  };
}

/** The content blocks in order: thinking, redacted thinking, text, tool uses. */
function contentBlocks(message: AnsweredMessage): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  const { thinking, plan } = message;
  if (thinking !== null) {
    blocks.push({
      type: 'thinking',
      thinking: thinking.text,
      signature: signThinking(thinking.text),
    });
    if (message.redacted)
      blocks.push({ type: 'redacted_thinking', data: sealRedactedThinking(thinking.text) });
  }
  if (plan.reply.text.length > 0 || plan.toolCalls.length === 0)
    blocks.push({ type: 'text', text: plan.reply.text });
  for (const [index, call] of plan.toolCalls.entries())
    blocks.push({
      type: 'tool_use',
      id: message.toolUseIds[index],
      name: call.name,
      input: JSON.parse(call.argumentsJson),
    });
  return blocks;
}

/** The JSON body of a whole message. */
export function messageBody(message: AnsweredMessage): string {
  return JSON.stringify({
    ...messageShell(message, message.usage.outputTokens),
    content: contentBlocks(message),
    stop_reason: mapAnthropicStopReason(message.plan.finish),
    stop_sequence: message.plan.reply.stopSequence,
  });
}

/**
 * The events of a streamed message: `message_start` (real input tokens, 1 output token, as the
 * API reports), then per block `content_block_start`, its deltas (`thinking_delta` then
 * `signature_delta`, `text_delta`, `input_json_delta`) and `content_block_stop`, then
 * `message_delta` with the stop reason and usage, and `message_stop`.
 */
export function messageEvents(message: AnsweredMessage): SseEvent[] {
  const event = (type: string, payload: object, tokens = 0): SseEvent => ({
    event: type,
    data: JSON.stringify({ type, ...payload }),
    tokens,
  });
  const events = [event('message_start', { message: messageShell(message, 1) })];
  for (const [index, block] of contentBlocks(message).entries()) {
    const delta = (body: object, tokens: number) =>
      event('content_block_delta', { index, delta: body }, tokens);
    switch (block.type) {
      case 'thinking':
        events.push(
          event('content_block_start', {
            index,
            content_block: { type: 'thinking', thinking: '', signature: '' },
          }),
        );
        for (const piece of groupReplyDeltas(message.thinking?.pieces ?? []))
          events.push(delta({ type: 'thinking_delta', thinking: piece.text }, piece.tokens));
        events.push(delta({ type: 'signature_delta', signature: block.signature as string }, 0));
        break;
      case 'text':
        events.push(
          event('content_block_start', { index, content_block: { type: 'text', text: '' } }),
        );
        for (const piece of groupReplyDeltas(message.plan.reply.pieces))
          events.push(delta({ type: 'text_delta', text: piece.text }, piece.tokens));
        break;
      case 'tool_use':
        events.push(
          event('content_block_start', { index, content_block: { ...block, input: {} } }),
        );
        events.push(delta({ type: 'input_json_delta', partial_json: '' }, 0));
        for (const piece of splitArguments(JSON.stringify(block.input)))
          events.push(delta({ type: 'input_json_delta', partial_json: piece.text }, piece.tokens));
        break;
      default:
        events.push(event('content_block_start', { index, content_block: block }));
    }
    events.push(event('content_block_stop', { index }));
    // The API sends a ping after the first block opens.
    if (index === 0) events.splice(2, 0, event('ping', {}));
  }
  const { usage, plan } = message;
  events.push(
    event('message_delta', {
      delta: {
        stop_reason: mapAnthropicStopReason(plan.finish),
        stop_sequence: plan.reply.stopSequence,
        stop_details: null,
      },
      usage: {
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        cache_creation_input_tokens: usage.cacheWriteTokens,
        cache_read_input_tokens: usage.cacheReadTokens,
      },
    }),
    event('message_stop', {}),
  );
  return events;
}
