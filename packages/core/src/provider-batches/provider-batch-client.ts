import type { ChatRequest } from '../messages/chat-request';
import type { GenerateResult } from '../providers/language-model';
import type { ModelTraits } from '../providers/model-traits';

/** One request of a provider batch: llmq's id for it and the provider-neutral request. */
export interface ProviderBatchRequest {
  /** Unique in the provider batch; results come back under it (`custom_id`). */
  customId: string;
  request: ChatRequest;
}

/** Where a provider batch stands. */
export interface ProviderBatchState {
  /** True once the provider has finished it (completed, cancelled or expired). */
  ended: boolean;
  /** Requests the provider has answered or failed so far. */
  done: number;
  total: number;
}

/** The outcome of one request of an ended provider batch. */
export type ProviderBatchResult =
  | { customId: string; ok: true; result: Omit<GenerateResult, 'rateLimit'> }
  | {
      customId: string;
      ok: false;
      /**
       * `not_run`: the batch was cancelled or expired before it ran (llmq runs it itself);
       * `error`: the provider answered it with an error (`statusCode` when it gave one).
       */
      reason: 'not_run' | 'error';
      statusCode?: number;
      message: string;
    };

/**
 * A provider's batch API (OpenAI Batch: files and `/v1/batches`; Anthropic Message Batches),
 * in llmq's terms. One client serves one provider account; every call is one HTTP exchange
 * (or a few: an upload, a download), so a caller can keep all its own state in Redis and
 * resume after a crash from the provider batch id alone.
 */
export interface ProviderBatchClient {
  /** The provider account id. */
  readonly provider: string;
  /**
   * Submits `requests` for `upstreamModel` (with `traits`, what the catalog says of it); returns
   * the provider's batch id.
   */
  submit(
    upstreamModel: string,
    requests: readonly ProviderBatchRequest[],
    traits?: ModelTraits,
  ): Promise<string>;
  state(batchId: string): Promise<ProviderBatchState>;
  /** Every request's outcome, once the batch has ended, each exactly once. */
  results(batchId: string): AsyncIterable<ProviderBatchResult>;
  /** Asks the provider to stop; requests not yet run end `not_run`. */
  cancel(batchId: string): Promise<void>;
}
