import { planChatAnswer } from '../chat/plan-chat-answer';
import { randomIdSuffix } from '../model-call/create-id';
import type { ModelRoute } from '../model-call/model-route';
import { generateThinking, REDACTED_THINKING_TRIGGER } from '../reasoning/generate-thinking';
import { anthropicDialect } from './anthropic-dialect';
import { convertMessagesRequest } from './convert-messages-request';
import { type MessagesRequest, messagesRequestSchema } from './messages-request-schema';
import { type AnsweredMessage, messageBody, messageEvents } from './render-message';

/** `POST /v1/messages`, whole or streamed. */
export const messagesRoute: ModelRoute<MessagesRequest> = {
  path: '/v1/messages',
  dialect: anthropicDialect,
  requestSchema: messagesRequestSchema,
  answer(request, { profile, promptCache }) {
    const converted = convertMessagesRequest(request, profile.capabilities);
    if ('refused' in converted) return converted;
    const { chat } = converted;
    const budget = thinkingBudgetOf(request);
    const thinking = budget === undefined ? null : generateThinking(chat.seedMaterial, budget);
    // Thinking tokens count against max_tokens; the budget is below it, so text has room left.
    const plan = planChatAnswer(
      thinking === null
        ? chat
        : { ...chat, maxTokens: request.max_tokens - thinking.completionTokens },
    );
    if ('refused' in plan) return plan;
    const cache = promptCache.use(converted.prefix);
    const readTokens = Math.min(cache.readTokens, converted.inputTokens);
    const writeTokens = Math.min(cache.writeTokens, converted.inputTokens - readTokens);
    const redacted =
      thinking !== null &&
      chat.lastTurn.kind === 'user' &&
      chat.lastTurn.text.includes(REDACTED_THINKING_TRIGGER);
    const message: AnsweredMessage = {
      id: `msg_01${randomIdSuffix(22)}`,
      model: request.model,
      thinking,
      redacted,
      plan,
      toolUseIds: plan.toolCalls.map(() => `toolu_01${randomIdSuffix(22)}`),
      usage: {
        inputTokens: converted.inputTokens - readTokens - writeTokens,
        cacheReadTokens: readTokens,
        cacheWriteTokens: writeTokens,
        cacheWriteTokensOneHour: Math.min(cache.writeTokensOneHour, writeTokens),
        thinkingTokens: thinking?.completionTokens ?? 0,
        outputTokens: plan.completionTokens + (thinking?.completionTokens ?? 0),
      },
    };
    return {
      stream: request.stream === true,
      inputCount: 1,
      inputTokens: converted.inputTokens,
      outputTokens: message.usage.outputTokens,
      renderBody: () => messageBody(message),
      renderEvents: () => messageEvents(message),
      onAnswered: cache.commit,
    };
  },
};

/**
 * Tokens the answer may think: the budget given, or with adaptive thinking a share of
 * `max_tokens` set by `output_config.effort` (a quarter at `low`, else half), so the text keeps
 * room. Undefined when thinking is off.
 */
function thinkingBudgetOf(request: MessagesRequest): number | undefined {
  const thinking = request.thinking;
  if (thinking?.type === 'enabled') return thinking.budget_tokens;
  if (thinking?.type !== 'adaptive') return undefined;
  const share = request.output_config?.effort === 'low' ? 0.25 : 0.5;
  return Math.max(1, Math.floor(request.max_tokens * share));
}
