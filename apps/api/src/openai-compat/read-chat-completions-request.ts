import {
  type ChatRequest,
  convertOpenAIChatRequest,
  type JobRequest,
  type OpenAIChatCall,
  openAIChatRequestSchema,
} from '@llmq/core';

/** A chat completion request read for the interactive lane: the job's options and the conversation. */
export interface ChatCompletionsCall extends Omit<OpenAIChatCall, 'request'> {
  /** The job's options (model, priority); its `messages` are the body's, for idempotency keys. */
  job: JobRequest;
  conversation: ChatRequest;
}

/**
 * Reads `POST /v1/chat/completions` with the openai-chat dialect's schema and converter: every
 * field is carried into the neutral request or refused by name (`unsupported_parameter`).
 */
export function readChatCompletionsRequest(body: unknown): ChatCompletionsCall {
  const parsed = openAIChatRequestSchema.parse(body);
  const { request, ...call } = convertOpenAIChatRequest(parsed);
  // Not `{ ...call, job, conversation }`: on Node 20 a key added to a spread's copy costs
  // 1–5 µs (a new hidden class each time; docs/performance.md, session 13).
  return Object.assign(call, {
    job: { model: parsed.model, messages: parsed.messages, priority: 5 },
    conversation: request,
  });
}
