import { accountKeySource } from '../account-key';
import { createKeepAliveAgent } from '../http/keep-alive-pool';
import { defaultProviderTimeoutMs, type Provider } from '../provider';
import { OpenAICompletionModel } from './openai-completion-model';
import { OpenAIEmbeddingModel } from './openai-embedding-model';
import { createOpenAIEndpoint } from './openai-http';
import { OpenAILanguageModel } from './openai-language-model';

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
 * An OpenAI account. One keep-alive pool per account, shared by all its models; `close()`
 * destroys its sockets. Calls go over the lean transport (see {@link OpenAILanguageModel}); the SDK
 * is loaded only for the error classes of an error answer.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): Provider {
  const keySource = accountKeySource({ ...options, kind: 'openai' });
  if (keySource === 'none') {
    throw new Error(
      `Provider "${options.id}" (openai) needs an apiKey (or an Authorization header)`,
    );
  }
  const baseURL = (options.baseURL ?? defaultOpenAIBaseURL).replace(/\/+$/, '');
  const agent = createKeepAliveAgent(new URL(baseURL));
  const endpoint = createOpenAIEndpoint(
    {
      baseURL,
      authHeaders: keySource === 'apiKey' ? { authorization: `Bearer ${options.apiKey}` } : {},
      headers: options.headers,
    },
    agent,
  );
  const settings = {
    provider: options.id,
    endpoint,
    timeoutMs: options.timeoutMs ?? defaultProviderTimeoutMs,
  };
  return {
    id: options.id,
    kind: 'openai',
    languageModel: (modelId, traits) => new OpenAILanguageModel(modelId, settings, traits),
    completionModel: (modelId) => new OpenAICompletionModel(modelId, settings),
    embeddingModel: (modelId) => new OpenAIEmbeddingModel(modelId, settings),
    close: async () => agent.destroy(),
  };
}
