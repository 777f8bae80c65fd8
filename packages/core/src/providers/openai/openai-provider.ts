import type OpenAI from 'openai';
import { onFirstUse } from '../on-first-use';
import { defaultProviderTimeoutMs, type Provider } from '../provider';
import { OpenAICompletionModel } from './openai-completion-model';
import { OpenAIEmbeddingModel } from './openai-embedding-model';
import { OpenAILanguageModel } from './openai-language-model';
import { openaiSdk } from './openai-sdk';

/** Options of an OpenAI account (the `openai` provider config, with defaults optional). */
export interface OpenAIProviderOptions {
  /** The account id, used in routing, metrics and errors. */
  id: string;
  /** The API key, sent as `Authorization: Bearer`. Required (optional only in the type, like the config's). */
  apiKey?: string;
  /** Default `https://api.openai.com/v1`. */
  baseURL?: string;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). Default 60000. */
  timeoutMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

const defaultOpenAIBaseURL = 'https://api.openai.com/v1';

/**
 * An OpenAI account. One SDK client per account, so all its models share one keep-alive
 * connection pool (the SDK's fetch keeps connections alive on Node 20). The client (and the SDK)
 * is made on the account's first call.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): Provider {
  if (!options.apiKey) throw new Error(`Provider "${options.id}" (openai) needs an apiKey`);
  const timeoutMs = options.timeoutMs ?? defaultProviderTimeoutMs;
  const sharedClient = onFirstUse(
    (): OpenAI =>
      new (openaiSdk().OpenAI)({
        apiKey: options.apiKey,
        // Explicit values, so the SDK reads no OPENAI_* environment variables: core takes options.
        baseURL: options.baseURL ?? defaultOpenAIBaseURL,
        organization: null,
        project: null,
        webhookSecret: null,
        // The pipeline owns retries, backoff and Retry-After.
        maxRetries: 0,
        timeout: timeoutMs,
        defaultHeaders: options.headers,
        // Failures surface as ProviderErrors; the SDK's own console output would only be noise.
        logLevel: 'off',
      }),
  );
  const settings = { provider: options.id, client: sharedClient, timeoutMs };
  return {
    id: options.id,
    kind: 'openai',
    languageModel: (modelId) => new OpenAILanguageModel(modelId, settings),
    completionModel: (modelId) => new OpenAICompletionModel(modelId, settings),
    embeddingModel: (modelId) => new OpenAIEmbeddingModel(modelId, settings),
  };
}
