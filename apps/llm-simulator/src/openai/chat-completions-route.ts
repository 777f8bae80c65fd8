import type { ChatRequest } from '../chat/chat-request';
import { type ChatAnswerPlan, planChatAnswer } from '../chat/plan-chat-answer';
import { replyWithText } from '../generation/generate-reply';
import { randomIdSuffix } from '../model-call/create-id';
import type { ModelRoute, RefusedRequest } from '../model-call/model-route';
import type { ModelCapabilities } from '../profiles/model-profile';
import { MINIMUM_CACHED_TOKENS } from '../prompt-cache/prompt-cache';
import { REASONING_TOKENS } from '../reasoning/openai-reasoning-tokens';
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

/** OpenAI reports cache hits in steps of this many tokens beyond the first 1,024. */
const CACHE_STEP_TOKENS = 128;

/** `POST /v1/chat/completions`, whole or streamed, with `n` choices. */
export const chatCompletionsRoute: ModelRoute<ChatCompletionRequest> = {
  path: '/v1/chat/completions',
  dialect: openAiDialect,
  requestSchema: chatCompletionRequestSchema,
  answer(request, { profile, promptCache }) {
    const converted = convertChatCompletionRequest(request, profile.capabilities);
    if ('refused' in converted) return converted;
    const reasoningTokens = profile.capabilities.reasoning
      ? REASONING_TOKENS[request.reasoning_effort ?? 'medium']
      : 0;
    const choices: AnsweredChoice[] = [];
    const choiceCount = profile.capabilities.choices === 'one' ? 1 : (request.n ?? 1);
    for (let index = 0; index < choiceCount; index += 1) {
      const choice = answerChoice(
        choiceRequest(converted.chat, index),
        reasoningTokens,
        profile.capabilities.toolCallIds,
      );
      if ('refused' in choice) return choice;
      choices.push(choice);
    }
    const cache = promptCache.use(converted.prefix);
    const usage = {
      promptTokens: converted.inputTokens,
      cachedTokens: Math.min(cachedTokensOf(cache.readTokens), converted.inputTokens),
      completionTokens: choices.reduce((sum, choice) => sum + choice.completionTokens, 0),
      reasoningTokens: choices.reduce((sum, choice) => sum + choice.reasoningTokens, 0),
    };
    const completion = {
      id: `chatcmpl-${randomIdSuffix()}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      serviceTier: request.service_tier === 'flex' ? ('flex' as const) : ('default' as const),
    };
    const logprobs = request.logprobs === true ? { top: request.top_logprobs ?? 0 } : null;
    return {
      stream: request.stream === true,
      flex: request.service_tier === 'flex',
      inputCount: 1,
      inputTokens: converted.inputTokens,
      outputTokens: usage.completionTokens,
      renderBody: () => chatCompletionBody(completion, choices, usage, logprobs),
      renderEvents: () =>
        chatCompletionChunks(
          completion,
          choices,
          usage,
          request.stream_options?.include_usage === true,
          logprobs,
        ),
      onAnswered: cache.commit,
    };
  },
};

/** Choice 0 is the answer `n = 1` gives; the others are seeded apart from it. */
function choiceRequest(chat: ChatRequest, index: number): ChatRequest {
  return index === 0
    ? chat
    : { ...chat, seedMaterial: `${chat.seedMaterial}\u0000choice\u0000${index}` };
}

/**
 * One choice. A reasoning model first spends its reasoning tokens out of
 * `max_completion_tokens`; when they use it all up, the visible answer is empty and cut
 * (`finish_reason: "length"`), as on OpenAI.
 */
function answerChoice(
  chat: ChatRequest,
  reasoningTokens: number,
  toolCallIds: ModelCapabilities['toolCallIds'],
): AnsweredChoice | RefusedRequest {
  const budget = chat.maxTokens;
  if (budget !== null && reasoningTokens >= budget) {
    const reply = { ...replyWithText('', chat), finish: 'max-tokens' as const };
    const plan: ChatAnswerPlan = {
      reply,
      toolCalls: [],
      finish: 'max-tokens',
      completionTokens: 0,
    };
    return { plan, toolCallIds: [], reasoningTokens: budget, completionTokens: budget };
  }
  const plan = planChatAnswer(
    budget === null ? chat : { ...chat, maxTokens: budget - reasoningTokens },
  );
  if ('refused' in plan) return plan;
  return {
    plan,
    toolCallIds: plan.toolCalls.map(() =>
      toolCallIds === 'alphanumeric-9' ? randomIdSuffix(9) : `call_${randomIdSuffix()}`,
    ),
    reasoningTokens,
    completionTokens: plan.completionTokens + reasoningTokens,
  };
}

/** Cached tokens as OpenAI reports them: 0 under 1,024, then in steps of 128. */
function cachedTokensOf(readTokens: number): number {
  if (readTokens < MINIMUM_CACHED_TOKENS) return 0;
  return (
    MINIMUM_CACHED_TOKENS +
    Math.floor((readTokens - MINIMUM_CACHED_TOKENS) / CACHE_STEP_TOKENS) * CACHE_STEP_TOKENS
  );
}
