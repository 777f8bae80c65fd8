import type Anthropic from '@anthropic-ai/sdk';
import type { ChatRequest } from '../../messages/chat-request';
import { fitEffortBudget, reasoningBudgetFor } from '../../messages/reasoning-translation';
import type { ReasoningEffort } from '../../messages/tool-definition';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { ModelTraits } from '../model-traits';

/** How a request thinks on the Messages API, and the `max_tokens` that goes with it. */
export interface AnthropicThinking {
  thinking?: Anthropic.ThinkingConfigParam;
  /** `output_config.effort`, steering adaptive thinking. */
  effort?: NonNullable<Anthropic.OutputConfig['effort']>;
  /** `max_tokens`: what the call may bill in output tokens, thinking included. */
  maxTokens: number;
}

/** Anthropic's smallest thinking budget. */
const minimumThinkingBudget = 1024;

/** Anthropic's efforts: it has no `minimal`, so its lowest (`low`) stands for it. */
const anthropicEffort: Record<ReasoningEffort, 'low' | 'medium' | 'high'> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
};

/** The model a request thinks on: its name, and what the catalog says of it. */
export interface AnthropicThinkingModel extends ModelTraits {
  /** The provider's name for the model, for refusals. */
  id: string;
}

/**
 * The thinking and `max_tokens` of a request; the adapter sends them, and the cost and rate
 * estimates reserve `maxTokens` (see `maxOutputTokensOf`), so both read this one function.
 *
 * Adaptive thinking goes as `thinking: {type: 'adaptive'}` with the effort in
 * `output_config.effort`, within the request's limit (or the default). A model that thinks
 * only within a budget (`adaptiveThinking: false`, as Anthropic refuses adaptive thinking to
 * Claude 4.5) gets the budget of the effort asked, or of `high` (Anthropic's default effort).
 * Anthropic wants a thinking budget below `max_tokens`, which counts the thinking. A budget
 * the client gave goes as given, with its limit. One made from an effort (OpenAI
 * `reasoning_effort`, whose `max_completion_tokens` also counts reasoning) fits under the
 * client's limit, as OpenAI lets reasoning take all of it. With no limit given, the default
 * stays the answer's room and the thinking comes on top, up to the model's maximum output:
 * `max_tokens` never exceeds it (Anthropic refuses that), an effort's budget is fitted under
 * it as under a client's limit, and a client's budget that cannot fit is refused by name.
 * `display: "summarized"` goes with either when the request asked for it.
 */
export function anthropicThinkingOf(
  request: Pick<ChatRequest, 'reasoning' | 'maxTokens'>,
  model: AnthropicThinkingModel,
  maxTokensDefault: number,
): AnthropicThinking {
  const most = model.maxOutputTokens ?? Number.POSITIVE_INFINITY;
  if (request.maxTokens !== undefined && request.maxTokens > most) {
    throw new UnsupportedParameterError(
      'max_tokens',
      model.id,
      `(${request.maxTokens}) is above the most output tokens (${most}) of`,
    );
  }
  // A model that answers less than the default gets its maximum.
  const answerRoom = Math.min(maxTokensDefault, most);
  const reasoning = request.reasoning;
  const display = reasoning?.summarized ? { display: 'summarized' as const } : {};
  if (reasoning?.adaptive && model.adaptiveThinking !== false) {
    refuseWithoutThinking(model, 'thinking');
    return {
      thinking: { type: 'adaptive', ...display },
      ...(reasoning.effort === undefined ? {} : { effort: anthropicEffort[reasoning.effort] }),
      maxTokens: request.maxTokens ?? answerRoom,
    };
  }
  const budget =
    reasoning &&
    reasoningBudgetFor(reasoning.adaptive ? { effort: reasoning.effort ?? 'high' } : reasoning);
  if (reasoning === undefined || budget === undefined)
    return { maxTokens: request.maxTokens ?? answerRoom };
  const field =
    reasoning.budgetTokens !== undefined
      ? 'thinking.budget_tokens'
      : reasoning.adaptive
        ? 'thinking'
        : 'reasoning_effort';
  refuseWithoutThinking(model, field === 'reasoning_effort' ? field : 'thinking');
  const enabled = (budgetTokens: number, maxTokens: number): AnthropicThinking => ({
    thinking: { type: 'enabled', budget_tokens: budgetTokens, ...display },
    maxTokens,
  });
  const limit = request.maxTokens ?? Math.min(answerRoom + budget, most);
  const ofLimit =
    request.maxTokens === undefined ? `${limit}, the model's most output tokens` : `${limit}`;
  if (reasoning.budgetTokens !== undefined) {
    // With the client's own limit, its budget goes as given (interleaved thinking may exceed
    // `max_tokens`; Anthropic judges); with none, it must fit under the model's maximum.
    if (request.maxTokens === undefined && budget >= limit)
      throw new UnsupportedParameterError(
        field,
        model.id,
        `(${budget}) must be below max_tokens (${ofLimit}) on`,
      );
    return enabled(budget, limit);
  }
  const fitted = fitEffortBudget(budget, limit, minimumThinkingBudget);
  if (fitted === undefined) {
    throw new UnsupportedParameterError(
      field,
      model.id,
      `needs more than ${minimumThinkingBudget} max tokens (the smallest thinking budget), not ${ofLimit}, on`,
    );
  }
  return enabled(fitted, limit);
}

/** Refuses thinking, by the field that asked for it, to a model that cannot think. */
function refuseWithoutThinking(model: AnthropicThinkingModel, field: string): void {
  if (model.reasoning === false)
    throw new UnsupportedParameterError(
      field,
      model.id,
      'asks for thinking, which is not supported by',
    );
}
