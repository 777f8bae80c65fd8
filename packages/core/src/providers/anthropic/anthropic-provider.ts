import { accountKeySource } from '../account-key';
import { createKeepAliveAgent } from '../http/keep-alive-pool';
import { defaultAnthropicMaxTokens, defaultProviderTimeoutMs, type Provider } from '../provider';
import { createAnthropicEndpoint } from './anthropic-http';
import { AnthropicLanguageModel } from './anthropic-language-model';

/** Options of an Anthropic account (the `anthropic` provider config, with defaults optional). */
export interface AnthropicProviderOptions {
  /** The account id, used in routing, metrics and errors. */
  id: string;
  /** The API key, sent as `x-api-key`. Required (optional only in the type, like the config's). */
  apiKey?: string;
  /** Default `https://api.anthropic.com` (no `/v1`: the adapter adds it, as the SDK did). */
  baseURL?: string;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). Default 60000. */
  timeoutMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** `max_tokens` for requests that name no limit. Default 4096. */
  maxTokensDefault?: number;
}

const defaultAnthropicBaseURL = 'https://api.anthropic.com';

/**
 * An Anthropic account. One keep-alive pool per account, shared by all its models; `close()`
 * destroys its sockets. Calls go over the lean transport (see {@link AnthropicLanguageModel}); the
 * SDK is loaded only for the error classes of an error answer or an `error` event.
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): Provider {
  const keySource = accountKeySource({ ...options, kind: 'anthropic' });
  if (keySource === 'none') {
    throw new Error(
      `Provider "${options.id}" (anthropic) needs an apiKey (or an x-api-key header)`,
    );
  }
  const baseURL = (options.baseURL ?? defaultAnthropicBaseURL).replace(/\/+$/, '');
  const agent = createKeepAliveAgent(new URL(baseURL));
  const endpoint = createAnthropicEndpoint(
    {
      baseURL,
      apiKey: keySource === 'apiKey' ? options.apiKey : undefined,
      headers: options.headers,
    },
    agent,
  );
  const settings = {
    provider: options.id,
    endpoint,
    timeoutMs: options.timeoutMs ?? defaultProviderTimeoutMs,
    maxTokensDefault: options.maxTokensDefault ?? defaultAnthropicMaxTokens,
  };
  return {
    id: options.id,
    kind: 'anthropic',
    languageModel: (modelId, traits) => new AnthropicLanguageModel(modelId, settings, traits),
    close: async () => agent.destroy(),
  };
}
