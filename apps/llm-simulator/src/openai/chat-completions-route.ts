import type { ChatRequest } from '../chat/chat-request';
import { type ChatAnswerPlan, planChatAnswer } from '../chat/plan-chat-answer';
import { randomIdSuffix } from '../model-call/create-id';
import type { ModelRoute } from '../model-call/model-route';
import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
} from './chat-completions-request-schema';
import { convertChatCompletionRequest } from './convert-chat-request';
import { openAiDialect } from './openai-dialect';
import {
  type AnsweredChoice,
  chatCompletionBody,
  chatCompletionChunks,
} from './render-chat-completion';

/** `POST /v1/chat/completions`, whole or streamed, with `n` choices. */
export const chatCompletionsRoute: ModelRoute<ChatCompletionRequest> = {
  path: '/v1/chat/completions',
  dialect: openAiDialect,
  requestSchema: chatCompletionRequestSchema,
  answer(request, { profile }) {
    const converted = convertChatCompletionRequest(request, profile.capabilities);
    if ('refused' in converted) return converted;
    const choices = Array.from({ length: request.n ?? 1 }, (_, index) =>
      answerChoice(choiceRequest(converted.chat, index)),
    );
    const outputTokens = choices.reduce((sum, choice) => sum + choice.plan.completionTokens, 0);
    const completion = {
      id: `chatcmpl-${randomIdSuffix()}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
    };
    const usage = { promptTokens: converted.inputTokens, completionTokens: outputTokens };
    return {
      stream: request.stream === true,
      inputCount: 1,
      inputTokens: converted.inputTokens,
      outputTokens,
      renderBody: () => chatCompletionBody(completion, choices, usage),
      renderEvents: () =>
        chatCompletionChunks(
          completion,
          choices,
          usage,
          request.stream_options?.include_usage === true,
        ),
    };
  },
};

/** Choice 0 is the answer `n = 1` gives; the others are seeded apart from it. */
function choiceRequest(chat: ChatRequest, index: number): ChatRequest {
  return index === 0
    ? chat
    : { ...chat, seedMaterial: `${chat.seedMaterial}\u0000choice\u0000${index}` };
}

function answerChoice(chat: ChatRequest): AnsweredChoice {
  const plan: ChatAnswerPlan = planChatAnswer(chat);
  return { plan, toolCallIds: plan.toolCalls.map(() => `call_${randomIdSuffix()}`) };
}
