import type Anthropic from '@anthropic-ai/sdk';
import { anthropicSdk } from '../providers/anthropic/anthropic-sdk';
import { convertAnthropicMessage } from '../providers/anthropic/convert-anthropic-message';
import { convertToAnthropicMessagesRequest } from '../providers/anthropic/convert-to-anthropic-messages-request';
import type { ModelTraits } from '../providers/model-traits';
import { defaultAnthropicMaxTokens } from '../providers/provider';
import type {
  ProviderBatchClient,
  ProviderBatchRequest,
  ProviderBatchResult,
  ProviderBatchState,
} from './provider-batch-client';

/** How to reach Anthropic's Message Batches API. */
export interface AnthropicBatchClientOptions {
  provider: string;
  apiKey: string;
  /** e.g. `https://api.anthropic.com`; the simulator's url. */
  baseURL?: string;
  timeoutMs?: number;
  /** `max_tokens` of a request that sets none (Anthropic requires one). Default 4096. */
  maxTokensDefault?: number;
}

/** Anthropic's Message Batches: requests go up in one JSON body, results come back as JSONL. */
export class AnthropicBatchClient implements ProviderBatchClient {
  readonly provider: string;
  private readonly maxTokensDefault: number;
  private sdkClient: Anthropic | undefined;

  constructor(private readonly options: AnthropicBatchClientOptions) {
    this.provider = options.provider;
    this.maxTokensDefault = options.maxTokensDefault ?? defaultAnthropicMaxTokens;
  }

  /** The SDK client, made (and the SDK loaded) on the first call. */
  private get client(): Anthropic {
    this.sdkClient ??= new (anthropicSdk())({
      apiKey: this.options.apiKey,
      baseURL: this.options.baseURL,
      maxRetries: 0,
      timeout: this.options.timeoutMs ?? 600_000,
      logLevel: 'off',
    });
    return this.sdkClient;
  }

  async submit(
    upstreamModel: string,
    requests: readonly ProviderBatchRequest[],
    traits?: ModelTraits,
  ): Promise<string> {
    const batch = await this.client.messages.batches.create({
      requests: requests.map(({ customId, request }) => ({
        custom_id: customId,
        params: {
          ...convertToAnthropicMessagesRequest(upstreamModel, request, {
            maxTokensDefault: this.maxTokensDefault,
            ...(traits === undefined ? {} : { traits }),
          }),
          stream: false,
        },
      })),
    });
    return batch.id;
  }

  async state(batchId: string): Promise<ProviderBatchState> {
    const batch = await this.client.messages.batches.retrieve(batchId);
    const counts = batch.request_counts;
    const done = counts.succeeded + counts.errored + counts.canceled + counts.expired;
    return { ended: batch.processing_status === 'ended', done, total: done + counts.processing };
  }

  async *results(batchId: string): AsyncIterable<ProviderBatchResult> {
    for await (const item of await this.client.messages.batches.results(batchId)) {
      const { custom_id: customId, result } = item;
      switch (result.type) {
        case 'succeeded':
          yield {
            customId,
            ok: true,
            result: convertAnthropicMessage(result.message, {
              provider: this.provider,
              modelId: result.message.model,
            }),
          };
          break;
        case 'errored':
          yield { customId, ok: false, reason: 'error', message: result.error.error.message };
          break;
        case 'canceled':
        case 'expired':
          yield {
            customId,
            ok: false,
            reason: 'not_run',
            message: `the provider batch ${result.type === 'canceled' ? 'was cancelled' : 'expired'} first`,
          };
          break;
      }
    }
  }

  async cancel(batchId: string): Promise<void> {
    await this.client.messages.batches.cancel(batchId);
  }
}
