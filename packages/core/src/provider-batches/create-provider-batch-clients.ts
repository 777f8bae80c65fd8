import type { ProviderKind } from '../providers/provider';
import { AnthropicBatchClient } from './anthropic-batch-client';
import { OpenAIBatchClient } from './openai-batch-client';
import type { ProviderBatchClient } from './provider-batch-client';

/**
 * A batch client for every account whose provider has a batch API: OpenAI accounts (Batch
 * API) and Anthropic accounts (Message Batches). Other kinds (Azure, Gemini, OpenAI-compatible
 * servers) run their lines on llmq's own tiers.
 */
export function createProviderBatchClients(
  accounts: readonly {
    id: string;
    kind: ProviderKind;
    baseURL?: string;
    apiKey?: string;
    /** An Anthropic account's `max_tokens` for lines that name none. */
    maxTokensDefault?: number;
  }[],
): Map<string, ProviderBatchClient> {
  const clients = new Map<string, ProviderBatchClient>();
  for (const account of accounts) {
    if (!account.apiKey) continue;
    const options = { provider: account.id, apiKey: account.apiKey, baseURL: account.baseURL };
    if (account.kind === 'openai') clients.set(account.id, new OpenAIBatchClient(options));
    if (account.kind === 'anthropic') {
      const { maxTokensDefault } = account;
      clients.set(
        account.id,
        new AnthropicBatchClient({
          ...options,
          ...(maxTokensDefault === undefined ? {} : { maxTokensDefault }),
        }),
      );
    }
  }
  return clients;
}
