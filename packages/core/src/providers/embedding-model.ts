/**
 * The contract of an embedding model: many texts in, one vector per text out, in input order.
 * Used by the semantic cache and by `/v1/embeddings` batch lines. Like {@link LanguageModel},
 * adapters only translate; caching, limits and tracing wrap a model from outside.
 */

/** A provider-neutral embedding request. */
export interface EmbedRequest {
  /** The texts to embed (at least one); the answer has one vector per text, in this order. */
  inputs: string[];
  /** Asks for shorter vectors, for models that support it (OpenAI `dimensions`). */
  dimensions?: number;
  /** Aborts the call (per-call timeout, job cancellation). */
  signal?: AbortSignal;
  /** Extra HTTP headers for this call (tracing, simulator fault injection). */
  headers?: Record<string, string>;
}

export interface EmbedResult {
  /** One vector per input, in input order. */
  embeddings: number[][];
  /** Input tokens as the provider reported them (the truth for cost). */
  usage: { inputTokens: number };
  /** The model name the provider says answered. */
  responseModel: string;
}

export interface EmbeddingModel {
  /** The provider account id this model belongs to. */
  readonly provider: string;
  /** The provider's name for the model (upstream model id). */
  readonly modelId: string;
  /** Embeds every input in one call. Throws a {@link ProviderError} on failure. */
  embed(request: EmbedRequest): Promise<EmbedResult>;
}
