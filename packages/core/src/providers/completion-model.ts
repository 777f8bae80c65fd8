/**
 * The legacy text-completion capability (`POST /v1/completions`): several prompts in one call,
 * one choice per prompt. Only providers whose API has it implement it (OpenAI and
 * OpenAI-compatible servers); micro-batching sends many batch lines as one prompt array.
 */
import type { FinishReason, RateLimitInfo, Usage } from './language-model';

/** A provider-neutral completion request; every prompt gets the same sampling settings. */
export interface CompleteRequest {
  /** The prompts, at least one; the answer has one choice per prompt, in this order. */
  prompts: string[];
  /** Upper bound on generated tokens per prompt. */
  maxTokens?: number;
  /** Sampling temperature, 0–2. */
  temperature?: number;
  /** Nucleus sampling, 0–1. */
  topP?: number;
  /** Stop sequences (at most 4). */
  stop?: string[];
  /** Sampling seed, for providers that support it. */
  seed?: number;
  /** Aborts the call (per-call timeout, job cancellation). */
  signal?: AbortSignal;
  /** Extra HTTP headers for this call (tracing, simulator fault injection). */
  headers?: Record<string, string>;
}

/** The answer to one prompt of a {@link CompleteRequest}. */
export interface CompletionChoice {
  /** 0-based position of the prompt in `prompts`. */
  index: number;
  text: string;
  finishReason: FinishReason;
}

export interface CompleteResult {
  /** One per prompt, sorted by `index`. */
  choices: CompletionChoice[];
  /** Usage of the whole call (all prompts together), as the provider reported it. */
  usage: Usage;
  /** The model name the provider says answered. */
  responseModel: string;
  /** The provider's id for this response, for support tickets. */
  responseId?: string;
  rateLimit?: RateLimitInfo;
}

export interface CompletionModel {
  /** The provider account id this model belongs to. */
  readonly provider: string;
  /** The provider's name for the model (upstream model id). */
  readonly modelId: string;
  /**
   * Completes every prompt in one call. Throws a {@link ProviderError} on failure, including
   * an answer that lacks a choice for some prompt (`malformed_response`).
   */
  complete(request: CompleteRequest): Promise<CompleteResult>;
}
