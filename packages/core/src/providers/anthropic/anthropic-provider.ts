import type Anthropic from '@anthropic-ai/sdk';
import { onFirstUse } from '../on-first-use';
import { defaultAnthropicMaxTokens, defaultProviderTimeoutMs, type Provider } from '../provider';
import { AnthropicLanguageModel } from './anthropic-language-model';
import { anthropicSdk } from './anthropic-sdk';

/** Options of an Anthropic account (the `anthropic` provider config, with defaults optional). */
export interface AnthropicProviderOptions {
  /** The account id, used in routing, metrics and errors. */
  id: string;
  /** The API key, sent as `x-api-key`. Required (optional only in the type, like the config's). */
  apiKey?: string;
  /** Default `https://api.anthropic.com` (no `/v1`: the SDK adds it). */
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
 * An Anthropic account. One SDK client per account, so all its models share one keep-alive
 * connection pool (the SDK's fetch keeps connections alive on Node 20). The client (and the SDK)
 * is made on the account's first call.
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): Provider {
  if (!options.apiKey) throw new Error(`Provider "${options.id}" (anthropic) needs an apiKey`);
  const timeoutMs = options.timeoutMs ?? defaultProviderTimeoutMs;
  const maxTokensDefault = options.maxTokensDefault ?? defaultAnthropicMaxTokens;
  const sharedClient = onFirstUse(
    (): Anthropic =>
      new (anthropicSdk())({
        apiKey: options.apiKey,
        // Explicit values, so the SDK reads no ANTHROPIC_* environment variables: core takes options.
        baseURL: options.baseURL ?? defaultAnthropicBaseURL,
        webhookKey: null,
        // This SDK sends the key as `Authorization: Bearer`; the Messages API (and our simulator)
        // also take the documented `x-api-key`, so it goes both ways.
        defaultHeaders: { 'x-api-key': options.apiKey, ...options.headers },
        // The pipeline owns retries, backoff and Retry-After.
        maxRetries: 0,
        timeout: timeoutMs,
        // Failures surface as ProviderErrors; the SDK's own console output would only be noise.
        logLevel: 'off',
      }),
  );
  return {
    id: options.id,
    kind: 'anthropic',
    languageModel: (modelId) =>
      new AnthropicLanguageModel(modelId, {
        provider: options.id,
        client: sharedClient,
        timeoutMs,
        maxTokensDefault,
      }),
  };
}
