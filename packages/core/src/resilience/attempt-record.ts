import type { ProviderErrorCode } from '../providers/provider-error';

/** How one try at one model ended. */
export type AttemptOutcome =
  /** It answered, and its answer is the job's result. */
  | 'success'
  /** It failed with an error (see `error_code`). */
  | 'error'
  /** It was not called: its circuit is open or its provider is not configured. */
  | 'skipped'
  /** A hedged call that lost the race and was aborted. */
  | 'aborted'
  /** A hedged call that answered, but after the winner. */
  | 'lost'
  /**
   * A call that started and never ended: its worker died mid-call. The provider probably billed
   * it; its cost is estimated from the prompt (`cost_estimated`).
   */
  | 'interrupted';

/** One try at one model, as listed on a job's result (snake_case: part of the HTTP surface). */
export interface AttemptRecord {
  /** Provider account id. */
  provider: string;
  /** Catalog model id. */
  model: string;
  outcome: AttemptOutcome;
  /** A provider error code, or `circuit_open` / `model_unavailable` for a skipped model. */
  error_code?: ProviderErrorCode | 'circuit_open' | 'model_unavailable';
  status_code?: number;
  /** What the provider asked us to wait before the next call, ms. */
  retry_after_ms?: number;
  /** When the call started, epoch ms. */
  started_at: number;
  latency_ms: number;
  /** What the call cost, USD (0 for a failed call). */
  cost_usd: number;
  /**
   * The tokens `cost_usd` prices: the provider's reported usage for a call that answered, the
   * estimated prompt for an aborted hedge, absent for a call that billed nothing. The cost
   * ledger aggregates these per model.
   */
  usage?: AttemptUsage;
  /**
   * True when `cost_usd` is an estimate (an aborted hedge or an interrupted call: the prompt was
   * billed, the rest unknown).
   */
  cost_estimated?: boolean;
  /** Which arm of a hedge made the call. */
  hedge?: 'primary' | 'secondary';
}

/** Tokens of one provider call (`input_tokens` includes `cached_input_tokens`). */
export interface AttemptUsage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
}
