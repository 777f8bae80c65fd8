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
