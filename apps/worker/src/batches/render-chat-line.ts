import {
  type BatchLineJobData,
  toAnthropicMessageBody,
  toChatCompletionBody,
  toResponseBody,
} from '@llmq/core';
import { type ChatAnswer, type OutputVerdict, redactedAnswer } from '@llmq/runner';
import type { RenderedLine } from './line-sink';

/**
 * A chat line's answer as its output line holds it (the output filter's redactions applied),
 * whether llmq called the model or a provider batch answered it.
 */
export function renderChatLine(
  data: Pick<BatchLineJobData, 'endpoint' | 'responses' | 'createdAt' | 'legacyFunctions'>,
  requestId: string,
  { answer, entry }: ChatAnswer,
  verdict?: OutputVerdict,
): RenderedLine {
  const shown = redactedAnswer(answer, verdict);
  const { inputTokens, outputTokens } = answer.usage;
  const usage = { inputTokens, outputTokens };
  // A Message Batch's line is answered as `POST /v1/messages` would answer it, with the
  // catalog model that answered (as that route names it).
  if (data.endpoint === '/v1/messages')
    return {
      body: toAnthropicMessageBody(shown, { id: `msg_${requestId}`, model: entry.id }),
      usage,
    };
  // A `/v1/responses` line answers in the Responses shape, a chat line as a completion.
  const body = data.responses
    ? toResponseBody(shown, data.responses, data.createdAt)
    : toChatCompletionBody(shown, Date.now(), { legacyFunctions: data.legacyFunctions === true });
  return { responseId: answer.responseId, body, usage };
}
