import type { AssistantContentPart, ToolCallPart } from './content-part';

/** Why generation stopped, normalised across providers. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

/** Token usage as the provider reported it (the truth for cost). */
export interface Usage {
  /** The whole prompt, cached and cache-written tokens included (OpenAI's `prompt_tokens`). */
  inputTokens: number;
  /** Generated tokens, reasoning included (OpenAI's `completion_tokens`). */
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (priced separately); 0 when not reported. */
  cachedInputTokens: number;
  totalTokens: number;
  /** Output tokens spent on reasoning, when the provider reports them (part of `outputTokens`). */
  reasoningTokens?: number;
  /** Input tokens written to the prompt cache (Anthropic `cache_creation_input_tokens`), part of `inputTokens`. */
  cacheWriteInputTokens?: number;
  /**
   * The part of `cacheWriteInputTokens` written with a 1-hour lifetime (Anthropic
   * `cache_creation.ephemeral_1h_input_tokens`), when some were; the rest lives 5 minutes.
   */
  cacheWrite1hInputTokens?: number;
}

/** Input and output tokens of a call or a batch line (a part of {@link Usage}). */
export type TokenCounts = Pick<Usage, 'inputTokens' | 'outputTokens'>;

/** Log probability of one output token and its best alternatives. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  topLogprobs: Array<{ token: string; logprob: number }>;
}

/** The assistant's answer: content parts plus the facts of how it ended. */
export interface ChatAnswer {
  /** Text, reasoning and tool-call parts in the order the model produced them. */
  content: AssistantContentPart[];
  finishReason: FinishReason;
  /** The stop sequence that ended the answer, when the provider says which (Anthropic does). */
  stopSequence?: string;
  /** Per-token log probabilities, when asked for and reported. */
  logprobs?: TokenLogprob[];
}

/** The tool calls among an answer's parts. */
export function toolCallsOf(content: readonly AssistantContentPart[]): ToolCallPart[] {
  return content.filter((part): part is ToolCallPart => part.type === 'tool-call');
}

/** The answer's text: its text parts joined with no separator, as they were streamed. */
export function answerText(content: readonly AssistantContentPart[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}
