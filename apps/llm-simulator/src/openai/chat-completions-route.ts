import { lastTextOf } from '../generation/conversation';
import { countConversationTokens } from '../generation/count-prompt-tokens';
import { generateReply, type Reply } from '../generation/generate-reply';
import { groupReplyDeltas } from '../generation/group-reply-deltas';
import { replySeedMaterial } from '../generation/reply-seed';
import { randomIdSuffix } from '../model-call/create-id';
import type { ModelRoute } from '../model-call/model-route';
import type { SseEvent } from '../server/sse-event';
import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
  chatContentText,
} from './chat-completions-request-schema';
import { chatCompletionUsage, SYSTEM_FINGERPRINT } from './convert-openai-usage';
import { mapOpenAiFinishReason } from './map-openai-finish-reason';
import { openAiDialect } from './openai-dialect';
import { stopSequencesOf } from './openai-sampling-schema';

/** `POST /v1/chat/completions`, whole or streamed. */
export const chatCompletionsRoute: ModelRoute<ChatCompletionRequest> = {
  path: '/v1/chat/completions',
  dialect: openAiDialect,
  requestSchema: chatCompletionRequestSchema,
  answer(request) {
    const conversation = request.messages.map(
      (message) => [message.role, chatContentText(message.content)] as const,
    );
    const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? null;
    const stopSequences = stopSequencesOf(request.stop);
    const reply = generateReply({
      seedMaterial: replySeedMaterial({
        model: request.model,
        conversation,
        temperature: request.temperature ?? null,
        topP: request.top_p ?? null,
        seed: request.seed ?? null,
        maxTokens,
        stopSequences,
      }),
      lastUserText: lastTextOf(conversation, 'user'),
      maxTokens,
      stopSequences,
    });
    const inputTokens = countConversationTokens(conversation);
    const completion: CompletionIdentity = {
      id: `chatcmpl-${randomIdSuffix()}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
    };
    return {
      stream: request.stream === true,
      inputCount: 1,
      inputTokens,
      outputTokens: reply.completionTokens,
      renderBody: () => chatCompletionBody(completion, reply, inputTokens),
      renderEvents: () =>
        chatCompletionChunks(
          completion,
          reply,
          inputTokens,
          request.stream_options?.include_usage === true,
        ),
    };
  },
};

interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

function chatCompletionBody(
  completion: CompletionIdentity,
  reply: Reply,
  inputTokens: number,
): string {
  return JSON.stringify({
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: completion.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: mapOpenAiFinishReason(reply.finish),
      },
    ],
    usage: chatCompletionUsage(inputTokens, reply.completionTokens),
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  });
}

function chatCompletionChunks(
  completion: CompletionIdentity,
  reply: Reply,
  inputTokens: number,
  includeUsage: boolean,
): SseEvent[] {
  const chunk = (choices: unknown[], tokens: number, usage: unknown = null): SseEvent => ({
    data: JSON.stringify({
      id: completion.id,
      object: 'chat.completion.chunk',
      created: completion.created,
      model: completion.model,
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices,
      ...(includeUsage ? { usage } : {}),
    }),
    tokens,
  });
  const choice = (delta: object, finishReason: string | null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const events = [chunk([choice({ role: 'assistant', content: '', refusal: null }, null)], 0)];
  for (const delta of groupReplyDeltas(reply.pieces)) {
    events.push(chunk([choice({ content: delta.text }, null)], delta.tokens));
  }
  events.push(chunk([choice({}, mapOpenAiFinishReason(reply.finish))], 0));
  if (includeUsage)
    events.push(chunk([], 0, chatCompletionUsage(inputTokens, reply.completionTokens)));
  events.push({ data: '[DONE]', tokens: 0 });
  return events;
}
