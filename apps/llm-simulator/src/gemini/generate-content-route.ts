import { planChatAnswer } from '../chat/plan-chat-answer';
import { randomIdSuffix } from '../model-call/create-id';
import type { ModelRoute } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import { generateThinking } from '../reasoning/generate-thinking';
import { convertGeminiRequest } from './convert-gemini-request';
import { geminiDialect } from './gemini-dialect';
import { type GenerateContentRequest, generateContentRequestSchema } from './gemini-request-schema';
import { generateContentBody, generateContentEvents } from './render-gemini-response';

/**
 * `POST /v1beta/models/{model}:generateContent` (`stream` false) or
 * `:streamGenerateContent?alt=sse` (`stream` true). Thinking tokens count against
 * `maxOutputTokens`, as on Gemini 2.5.
 */
export function generateContentRoute(stream: boolean): ModelRoute<GenerateContentRequest> {
  return {
    path: `/v1beta/models/{model}:${stream ? 'streamGenerateContent' : 'generateContent'}`,
    dialect: geminiDialect,
    requestSchema: generateContentRequestSchema,
    answer(request, { profile, promptCache }) {
      const converted = convertGeminiRequest(request, profile.capabilities);
      if ('refused' in converted) return converted;
      const { chat } = converted;
      const budget =
        converted.thinkingBudget === null
          ? null
          : Math.min(converted.thinkingBudget, chat.maxTokens ?? Number.POSITIVE_INFINITY);
      const thinking =
        budget === null || budget <= 0 ? null : generateThinking(chat.seedMaterial, budget);
      const thoughtTokens = thinking?.completionTokens ?? 0;
      if (chat.maxTokens !== null && thoughtTokens >= chat.maxTokens)
        return refuse(
          'max_output_tokens leaves no room for an answer after thinking.',
          'generation_config.max_output_tokens',
        );
      const plan = planChatAnswer(
        chat.maxTokens === null ? chat : { ...chat, maxTokens: chat.maxTokens - thoughtTokens },
      );
      if ('refused' in plan) return plan;
      const cache = promptCache.use(converted.prefix);
      const answer = {
        model: request.model,
        responseId: randomIdSuffix(22),
        plan,
        thinking,
        includeThoughts: converted.includeThoughts,
        promptTokens: converted.inputTokens,
        cachedTokens: Math.min(cache.readTokens, converted.inputTokens),
        signs: profile.capabilities.reasoning,
      };
      return {
        stream,
        inputCount: 1,
        inputTokens: converted.inputTokens,
        outputTokens: plan.completionTokens + thoughtTokens,
        renderBody: () => generateContentBody(answer),
        renderEvents: () => generateContentEvents(answer),
        onAnswered: cache.commit,
      };
    },
  };
}
