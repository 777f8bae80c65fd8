import type { ReasoningEffort, ReasoningOptions } from './tool-definition';

/**
 * Thinking budgets for each OpenAI-style effort when a Claude model gets an effort. Anthropic's
 * minimum budget is 1,024 tokens; the others follow its guidance (start small, raise as needed).
 */
const budgetForEffort: Record<ReasoningEffort, number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 24_576,
};

/** The Anthropic thinking budget for reasoning options: the budget given, else the effort's. */
export function reasoningBudgetFor(options: ReasoningOptions): number | undefined {
  if (options.budgetTokens !== undefined) return options.budgetTokens;
  return options.effort === undefined ? undefined : budgetForEffort[options.effort];
}

/**
 * A thinking budget made from an effort, fitted under the client's output limit, which counts
 * the thinking (Anthropic's `max_tokens`, Gemini's `maxOutputTokens`, as OpenAI's
 * `max_completion_tokens` counts reasoning): the effort's budget when it is below the limit,
 * else the whole limit but one token, as OpenAI lets reasoning take all of it. Undefined when
 * that is below `minimum`, the provider's smallest budget: the caller refuses the effort by name.
 */
export function fitEffortBudget(
  budget: number,
  limit: number,
  minimum: number,
): number | undefined {
  if (budget < limit) return budget;
  return limit - 1 >= minimum ? limit - 1 : undefined;
}

/** The OpenAI effort for reasoning options: the effort given, else the nearest to the budget. */
export function reasoningEffortFor(options: ReasoningOptions): ReasoningEffort | undefined {
  if (options.effort !== undefined) return options.effort;
  const budget = options.budgetTokens;
  if (budget === undefined) return undefined;
  if (budget < budgetForEffort.low) return 'minimal';
  if (budget < budgetForEffort.medium) return 'low';
  if (budget < budgetForEffort.high) return 'medium';
  return 'high';
}
