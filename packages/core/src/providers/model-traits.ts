import type { ModelEntry } from '../catalog/model-catalog';

/**
 * What the catalog says of a model that its adapter needs to shape a call: the limits and ways
 * of thinking a provider's API checks per model. An absent field is not checked (a model made
 * without the catalog, as in the contract tests, is taken at its word).
 */
export interface ModelTraits {
  /** The most tokens one answer may have (`max_output_tokens`): a sent limit never exceeds it. */
  maxOutputTokens?: number;
  /** false: the model cannot think (`capabilities.reasoning`); asking it to is refused. */
  reasoning?: boolean;
  /**
   * false: the model thinks only within a budget (`capabilities.adaptive_thinking`: Claude
   * before 4.6), so adaptive thinking goes to it as a thinking budget.
   */
  adaptiveThinking?: boolean;
  /**
   * false: the model refuses the switch for parallel tool calls (`capabilities
   * .parallel_tool_calls`: OpenAI's o-series), so a preference for one call is not sent.
   */
  parallelToolCalls?: boolean;
}

/** A catalog entry's {@link ModelTraits}. */
export function modelTraitsOf(
  entry: Pick<ModelEntry, 'max_output_tokens'> & {
    /** A capability left out is not checked (see {@link ModelTraits}). */
    capabilities: Partial<
      Pick<ModelEntry['capabilities'], 'reasoning' | 'adaptive_thinking' | 'parallel_tool_calls'>
    >;
  },
): ModelTraits {
  return {
    maxOutputTokens: entry.max_output_tokens,
    reasoning: entry.capabilities.reasoning,
    adaptiveThinking: entry.capabilities.adaptive_thinking,
    parallelToolCalls: entry.capabilities.parallel_tool_calls,
  };
}
