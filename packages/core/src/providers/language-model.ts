/**
 * The one contract every LLM provider adapter implements (compare vercel/ai's
 * `LanguageModelV1` with `doGenerate`/`doStream`). Caching, cost, limits and tracing wrap
 * a model from outside; adapters only translate requests, responses and errors.
 */

/** A chat message after normalisation: content is always plain text. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A provider-neutral generation request. */
export interface GenerateRequest {
  /** The conversation; a bare prompt arrives as one user message. System messages may appear first. */
  messages: ChatMessage[];
  /** Upper bound on generated tokens. Anthropic requires one, so adapters supply a default when absent. */
  maxTokens?: number;
  /** Sampling temperature, 0–2 (Anthropic accepts 0–1; adapters clamp). */
  temperature?: number;
  /** Nucleus sampling, 0–1. */
  topP?: number;
  /** Stop sequences (at most 4). */
  stop?: string[];
  /** Sampling seed, for providers that support it. */
  seed?: number;
  /** Aborts the call (per-call timeout, job cancellation, losing hedge). */
  signal?: AbortSignal;
  /** Extra HTTP headers for this call (tracing, simulator fault injection). */
  headers?: Record<string, string>;
}

/** Why generation stopped, normalised across providers. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

/** Token usage as the provider reported it (the truth for cost). */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (priced separately); 0 when not reported. */
  cachedInputTokens: number;
  totalTokens: number;
}

/** Input and output tokens of a call or a batch line (a part of {@link Usage}). */
export type TokenCounts = Pick<Usage, 'inputTokens' | 'outputTokens'>;

/** Rate-limit facts the provider sent back with a response (x-ratelimit-* headers), when it did. */
export interface RateLimitInfo {
  remainingRequests?: number;
  remainingTokens?: number;
  resetRequestsMs?: number;
  resetTokensMs?: number;
}

export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** The model name the provider says answered. */
  responseModel: string;
  /** The provider's id for this response or request, for support tickets. */
  responseId?: string;
  rateLimit?: RateLimitInfo;
}

/** One piece of a streamed generation. A stream always ends with exactly one `finish` part, or throws. */
export type StreamPart =
  | { type: 'text-delta'; delta: string }
  | {
      type: 'finish';
      finishReason: FinishReason;
      usage: Usage;
      responseModel: string;
      responseId?: string;
    };

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
