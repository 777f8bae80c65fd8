import {
  type AnthropicMessagesCall,
  anthropicMessagesRequestSchema,
  type ChatRequest,
  convertAnthropicMessagesRequest,
  type JobRequest,
} from '@llmq/core';

/** A Messages API request read for the interactive lane: the job's options and the conversation. */
export interface MessagesCall extends Omit<AnthropicMessagesCall, 'request'> {
  /** The job's options (model, priority); the conversation travels as `conversation`. */
  job: JobRequest;
  conversation: ChatRequest;
}

/**
 * Reads `POST /v1/messages` with the anthropic-messages dialect's schema and converter: every
 * field is carried into the neutral request or refused by name (`unsupported_parameter`).
 */
export function readMessagesRequest(body: unknown): MessagesCall {
  const parsed = anthropicMessagesRequestSchema.parse(body);
  const { request, ...call } = convertAnthropicMessagesRequest(parsed);
  // Not `{ ...call, job, conversation }`: on Node 20 a key added to a spread's copy costs
  // 1–5 µs (a new hidden class each time; docs/performance.md, session 13).
  return Object.assign(call, { job: { model: parsed.model, priority: 5 }, conversation: request });
}
