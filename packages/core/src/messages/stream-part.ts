import type { FinishReason, TokenLogprob, Usage } from './chat-result';

/**
 * One piece of a streamed generation. A stream always ends with exactly one `finish` part, or
 * throws. Tool calls are numbered by `index` (0, 1, … in the order they start); a tool call's
 * argument deltas follow its start and add up to its JSON arguments. A text delta carries the
 * log probabilities of its tokens when they were asked for (`logprobs`) and the provider sent
 * them: a delta and its tokens' logprobs travel together, as in OpenAI's chunks.
 *
 * With `n` > 1 a stream carries several answers at once: each content part names its `choice`
 * (0 … n−1; absent means 0) and tool call indexes count within their choice. Each answer that
 * ends says so with a `choice-end` part as soon as it does, while the others may go on (as
 * OpenAI sends each choice's `finish_reason` chunk when that choice ends); nothing of that
 * choice follows it. The one `finish` part still ends the stream and repeats every answer's
 * reason (`otherFinishReasons` for choices 1 … n−1, `usage` for all of them), so a reader that
 * ignores `choice-end` parts reads the stream as before. The stream of a request for one
 * answer (`n` absent or 1) has no `choice-end`: its `finish` is its end.
 */
export type StreamPart = ContentPart | ChoiceEndPart | MetadataPart | FinishPart;

/** Which answer of an `n` > 1 stream a content part belongs to (absent: 0, the first). */
interface OfChoice {
  choice?: number;
}

type ContentPart = OfChoice &
  (
    | { type: 'text-delta'; delta: string; logprobs?: TokenLogprob[] }
    | { type: 'reasoning-delta'; delta: string }
    /** Anthropic's signature of the reasoning just streamed (sent back with it next turn). */
    | { type: 'reasoning-signature'; signature: string }
    /** An Anthropic `redacted_thinking` block (encrypted reasoning), whole. */
    | { type: 'reasoning-redacted'; data: string }
    | { type: 'tool-call-start'; index: number; toolCallId: string; toolName: string }
    | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  );

/**
 * One answer of an `n` > 1 stream ended (its `finishReason` arrived); the others may still be
 * streaming. Its reason is the one the `finish` part repeats for that choice.
 */
type ChoiceEndPart = OfChoice & { type: 'choice-end'; finishReason: FinishReason };

/**
 * What the provider said of the call before its content, for the dialects that show it from
 * their first event on: OpenAI's chunks carry `system_fingerprint` and `service_tier` from the
 * first one, Anthropic's `message_start` the cache writes (its `usage.cache_creation`, which no
 * later event corrects). At most one, before any content part; the `finish` part repeats the
 * fingerprint and tier. A dialect writes nothing for it: it only fills the fields of the events
 * that follow, so no event has to carry a placeholder the end contradicts.
 */
type MetadataPart = OfChoice & {
  type: 'response-metadata';
  /** OpenAI's `system_fingerprint`, when the provider sent one. */
  systemFingerprint?: string;
  /** OpenAI's `service_tier` the call runs on, when the provider said. */
  serviceTier?: string;
  /**
   * The prompt tokens written to the provider's cache (`cacheWriteInputTokens` of the final
   * usage, 0 when none) and the part of them written with the 1-hour lifetime; absent when the
   * provider says so only at the end.
   */
  cacheWrites?: { inputTokens: number; oneHourInputTokens: number };
};

interface FinishPart {
  type: 'finish';
  /** Why the first answer (choice 0) ended. */
  finishReason: FinishReason;
  /** Why choices 1 … n−1 ended, in order, when the stream carried `n` > 1 answers. */
  otherFinishReasons?: FinishReason[];
  stopSequence?: string;
  /** All the answers' usage together. */
  usage: Usage;
  responseModel: string;
  responseId?: string;
  /** OpenAI's `system_fingerprint`, when the provider sent one. */
  systemFingerprint?: string;
  /** OpenAI's `service_tier` the call ran on, when the provider said. */
  serviceTier?: string;
}

/** The answer a stream part belongs to (0 for the first, and for any single-answer stream). */
export function choiceOf(part: OfChoice): number {
  return part.choice ?? 0;
}
