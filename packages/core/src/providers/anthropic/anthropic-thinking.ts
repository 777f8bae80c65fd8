import type Anthropic from '@anthropic-ai/sdk';
import type { ChatRequest } from '../../messages/chat-request';
import { reasoningBudgetFor } from '../../messages/reasoning-translation';
import type { ReasoningEffort } from '../../messages/tool-definition';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';

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

/**
 * The thinking and `max_tokens` of a request; the adapter sends them, and the cost and rate
 * estimates reserve `maxTokens` (see `maxOutputTokensOf`), so both read this one function.
 *
 * Adaptive thinking goes as `thinking: {type: 'adaptive'}` with the effort in
 * `output_config.effort`, within the request's limit (or the default). Anthropic wants a
 * thinking budget below `max_tokens`, which counts the thinking. A budget the client gave goes
 * as given, with its limit. One made from an effort (OpenAI `reasoning_effort`, whose
 * `max_completion_tokens` also counts reasoning) fits under the client's limit, as OpenAI lets
 * reasoning take all of it; with no limit given, the default stays the answer's room and the
 * thinking comes on top. `display: "summarized"` goes with either when the request asked for it.
 */
export function anthropicThinkingOf(
  request: Pick<ChatRequest, 'reasoning' | 'maxTokens'>,
  modelId: string,
  maxTokensDefault: number,
): AnthropicThinking {
  const reasoning = request.reasoning;
  const display = reasoning?.summarized ? { display: 'summarized' as const } : {};
  if (reasoning?.adaptive) {
    return {
      thinking: { type: 'adaptive', ...display },
      ...(reasoning.effort === undefined ? {} : { effort: anthropicEffort[reasoning.effort] }),
      maxTokens: request.maxTokens ?? maxTokensDefault,
    };
  }
  const budget = reasoning && reasoningBudgetFor(reasoning);
  const enabled = (budgetTokens: number, maxTokens: number): AnthropicThinking => ({
    thinking: { type: 'enabled', budget_tokens: budgetTokens, ...display },
    maxTokens,
  });
  if (budget === undefined) return { maxTokens: request.maxTokens ?? maxTokensDefault };
  if (reasoning?.budgetTokens !== undefined) {
    return enabled(budget, request.maxTokens ?? maxTokensDefault);
  }
  if (request.maxTokens === undefined) return enabled(budget, maxTokensDefault + budget);
  if (request.maxTokens <= minimumThinkingBudget) {
    throw new UnsupportedParameterError(
      'reasoning_effort',
      modelId,
      `with at most ${minimumThinkingBudget} max tokens (the smallest thinking budget) is not supported by`,
    );
  }
  return enabled(Math.min(budget, request.maxTokens - 1), request.maxTokens);
}
