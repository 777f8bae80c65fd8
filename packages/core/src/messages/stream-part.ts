import type { FinishReason, TokenLogprob, Usage } from './chat-result';

/**
 * One piece of a streamed generation. A stream always ends with exactly one `finish` part, or
 * throws. Tool calls are numbered by `index` (0, 1, … in the order they start); a tool call's
 * argument deltas follow its start and add up to its JSON arguments. A text delta carries the
 * log probabilities of its tokens when they were asked for (`logprobs`) and the provider sent
 * them: a delta and its tokens' logprobs travel together, as in OpenAI's chunks.
 */
export type StreamPart =
  | { type: 'text-delta'; delta: string; logprobs?: TokenLogprob[] }
  | { type: 'reasoning-delta'; delta: string }
  /** Anthropic's signature of the reasoning just streamed (sent back with it next turn). */
  | { type: 'reasoning-signature'; signature: string }
  /** An Anthropic `redacted_thinking` block (encrypted reasoning), whole. */
  | { type: 'reasoning-redacted'; data: string }
  | { type: 'tool-call-start'; index: number; toolCallId: string; toolName: string }
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | {
      type: 'finish';
      finishReason: FinishReason;
      stopSequence?: string;
      usage: Usage;
      responseModel: string;
      responseId?: string;
    };
