import type { ChatMessage } from '../messages/chat-message';
import type { ChatRequest } from '../messages/chat-request';
import type { ChatAnswer, FinishReason, TokenCounts, Usage } from '../messages/chat-result';
import type { StreamPart } from '../messages/stream-part';

export type { ChatMessage, FinishReason, StreamPart, TokenCounts, Usage };

/**
 * The one contract every LLM provider adapter implements (compare vercel/ai's
 * `LanguageModelV1` with `doGenerate`/`doStream`). Caching, cost, limits and tracing wrap
 * a model from outside; adapters only translate requests, responses and errors.
 */

/** A provider-neutral generation request: the chat request plus per-call transport options. */
export interface GenerateRequest extends ChatRequest {
  /** Aborts the call (per-call timeout, job cancellation, losing hedge). */
  signal?: AbortSignal;
  /** Extra HTTP headers for this call (tracing, simulator fault injection). */
  headers?: Record<string, string>;
  /**
   * `flex`: run on the provider's flex tier (OpenAI `service_tier: "flex"`: cheaper, slower,
   * may be refused with 429). Absent: standard. Adapters without flex refuse it.
   */
  serviceTier?: 'flex';
}

/** Rate-limit facts the provider sent back with a response (x-ratelimit-* headers), when it did. */
export interface RateLimitInfo {
  remainingRequests?: number;
  remainingTokens?: number;
  resetRequestsMs?: number;
  resetTokensMs?: number;
}

export interface GenerateResult extends ChatAnswer {
  /** The answer's text parts joined (what text-only callers read). */
  text: string;
  /** Choices 2…n when `n` > 1 (non-streamed OpenAI-format calls); `usage` covers them all. */
  otherChoices?: ChatAnswer[];
  usage: Usage;
  /** The model name the provider says answered. */
  responseModel: string;
  /** The provider's id for this response or request, for support tickets. */
  responseId?: string;
  /** OpenAI's `system_fingerprint` (the backend configuration that answered), when sent. */
  systemFingerprint?: string;
  /** OpenAI's `service_tier` the call ran on (`default`, `flex`, …), when sent. */
  serviceTier?: string;
  rateLimit?: RateLimitInfo;
}

export interface LanguageModel {
  /** The provider account id this model belongs to (e.g. `openai`, `simulator-anthropic`). */
  readonly provider: string;
  /** The provider's name for the model (upstream model id). */
  readonly modelId: string;
  /** Generates a complete answer. Throws a {@link ProviderError} on failure. */
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /**
   * Streams an answer as text deltas followed by one `finish` part. If the upstream stream
   * breaks, iteration throws a ProviderError with code `stream_interrupted`: a broken stream
   * never ends as if it were complete.
   */
  stream(request: GenerateRequest): AsyncIterable<StreamPart>;
}
