import type Anthropic from '@anthropic-ai/sdk';
import type { FinishReason, Usage } from '../../messages/chat-result';
import type { AssistantContentPart } from '../../messages/content-part';
import type { DialectAnswer } from '../dialect-answer';

/** Our finish reason in Anthropic's words; a matched stop sequence is `stop_sequence`. */
export function anthropicStopReason(
  reason: FinishReason,
  stopSequence?: string,
): Anthropic.StopReason {
  switch (reason) {
    case 'stop':
      return stopSequence === undefined ? 'end_turn' : 'stop_sequence';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    case 'other':
      return 'end_turn';
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

/**
 * Our usage in Anthropic's shape: Anthropic's `input_tokens` is only the part of the prompt
 * neither read from nor written to the cache, and `cache_creation` splits the cache writes by
 * lifetime (the ones not reported as 1-hour writes are 5-minute ones, the default; zeros for a
 * model that writes none).
 */
export function anthropicUsage(usage: Usage): Anthropic.Usage {
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const oneHour = Math.min(usage.cacheWrite1hInputTokens ?? 0, cacheWrite);
  return {
    input_tokens: Math.max(0, usage.inputTokens - usage.cachedInputTokens - cacheWrite),
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: usage.cachedInputTokens,
    cache_creation_input_tokens: cacheWrite,
    cache_creation: {
      ephemeral_5m_input_tokens: cacheWrite - oneHour,
      ephemeral_1h_input_tokens: oneHour,
    },
    inference_geo: null,
    output_tokens_details:
      usage.reasoningTokens === undefined ? null : { thinking_tokens: usage.reasoningTokens },
    server_tool_use: null,
    service_tier: 'standard',
    speed: null,
  };
}

/** Parses tool-call arguments for `tool_use.input`; a model's invalid JSON is kept as a string field. */
export function toolInputOf(argumentsText: string): Record<string, unknown> {
  if (argumentsText.trim() === '') return {};
  try {
    const input: unknown = JSON.parse(argumentsText);
    if (typeof input === 'object' && input !== null && !Array.isArray(input))
      return input as Record<string, unknown>;
  } catch {
    // Not JSON: reported below rather than dropped.
  }
  return { _raw_arguments: argumentsText };
}

/**
 * A text block as Anthropic sends it: without `citations` when it cites nothing (the SDK types
 * it `| null`, but clients such as the Vercel AI SDK refuse a `null` there).
 */
export function textBlock(text: string): Anthropic.TextBlock {
  return { type: 'text', text } as Anthropic.TextBlock;
}

function convertPart(part: AssistantContentPart): Anthropic.ContentBlock {
  switch (part.type) {
    case 'text':
      return textBlock(part.text);
    case 'reasoning':
      return part.redactedData !== undefined
        ? { type: 'redacted_thinking', data: part.redactedData }
        : { type: 'thinking', thinking: part.text, signature: part.signature ?? '' };
    case 'tool-call':
      return {
        type: 'tool_use',
        id: part.toolCallId,
        name: part.toolName,
        input: toolInputOf(part.arguments),
        caller: { type: 'direct' },
      };
    default: {
      const unreachable: never = part;
      return unreachable;
    }
  }
}

/** A neutral answer as an Anthropic `message`, content blocks in the model's order. */
export function convertToAnthropicMessage(answer: DialectAnswer): Anthropic.Message {
  return {
    id: answer.id,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content: answer.content.map(convertPart),
    stop_reason: anthropicStopReason(answer.finishReason, answer.stopSequence),
    stop_sequence: answer.stopSequence ?? null,
    usage: anthropicUsage(answer.usage),
    container: null,
    diagnostics: null,
    stop_details: null,
  };
}
