/** OpenAI's reasoning efforts, as `reasoning_effort` takes them. */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

/**
 * Reasoning tokens a simulated reasoning model spends per choice at each effort (OpenAI's
 * default effort is `medium`). Fixed numbers, so tests can predict usage and budgets.
 */
export const REASONING_TOKENS: Readonly<Record<ReasoningEffort, number>> = Object.freeze({
  none: 0,
  minimal: 16,
  low: 128,
  medium: 512,
  high: 2048,
  xhigh: 4096,
});
