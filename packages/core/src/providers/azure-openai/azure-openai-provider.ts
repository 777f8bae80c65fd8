import { accountKeySource } from '../account-key';
import { createKeepAliveAgent } from '../http/keep-alive-pool';
import { OpenAICompletionModel } from '../openai/openai-completion-model';
import { OpenAIEmbeddingModel } from '../openai/openai-embedding-model';
import { createOpenAIEndpoint } from '../openai/openai-http';
import { OpenAILanguageModel } from '../openai/openai-language-model';
import { defaultAzureApiVersion, defaultProviderTimeoutMs, type Provider } from '../provider';

/** Options of an Azure OpenAI resource (the `azure-openai` provider config, with defaults optional). */
export interface AzureOpenAIProviderOptions {
  /** The account id, used in routing, metrics and errors. */
  id: string;
  /** The resource key, sent as `api-key`. Required (optional only in the type, like the config's). */
  apiKey?: string;
  /** The resource endpoint, e.g. `https://my-resource.openai.azure.com` (required). */
  baseURL?: string;
  /** The `api-version` query parameter. Default {@link defaultAzureApiVersion}. */
  apiVersion?: string;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). Default 60000. */
  timeoutMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/**
 * An Azure OpenAI resource. A model id is a deployment name, put in the path as the SDK's
 * `AzureOpenAI` client puts it (`{endpoint}/openai/deployments/{id}/{operation}?api-version=…`),
 * and the key goes in `api-key`. The models are the OpenAI adapter's own classes, so requests,
 * answers, streams and errors go through the one OpenAI code path (the lean transport of
 * `http/post-json.ts`, the SDK loaded only for the error classes of an error answer). One
 * keep-alive pool per resource.
 */
export function createAzureOpenAIProvider(options: AzureOpenAIProviderOptions): Provider {
  const keySource = accountKeySource({ ...options, kind: 'azure-openai' });
  if (keySource === 'none') {
    throw new Error(
      `Provider "${options.id}" (azure-openai) needs an apiKey (or an api-key header)`,
    );
  }
  if (!options.baseURL) {
    throw new Error(
      `Provider "${options.id}" (azure-openai) needs its resource endpoint (baseURL)`,
    );
  }
  const baseURL = `${options.baseURL.replace(/\/+$/, '')}/openai`;
  const query = `?api-version=${encodeURIComponent(options.apiVersion ?? defaultAzureApiVersion)}`;
  // As the SDK: a base URL that already names a deployment gets no second one.
  const deploymentInPath = baseURL.includes('/deployments');
  const agent = createKeepAliveAgent(new URL(baseURL));
  const endpoint = createOpenAIEndpoint(
    {
      baseURL,
      authHeaders: keySource === 'apiKey' ? { 'api-key': options.apiKey as string } : {},
      headers: options.headers,
      url: (operation, modelId) =>
        `${baseURL}${deploymentInPath ? '' : `/deployments/${modelId}`}${operation}${query}`,
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
    kind: 'azure-openai',
    languageModel: (modelId, traits) => new OpenAILanguageModel(modelId, settings, traits),
    completionModel: (modelId) => new OpenAICompletionModel(modelId, settings),
    embeddingModel: (modelId) => new OpenAIEmbeddingModel(modelId, settings),
    close: async () => agent.destroy(),
  };
}
