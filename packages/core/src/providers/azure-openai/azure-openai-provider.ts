import type { AzureOpenAI } from 'openai';
import { onFirstUse } from '../on-first-use';
import { OpenAICompletionModel } from '../openai/openai-completion-model';
import { OpenAIEmbeddingModel } from '../openai/openai-embedding-model';
import { OpenAILanguageModel } from '../openai/openai-language-model';
import { openaiSdk } from '../openai/openai-sdk';
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
 * An Azure OpenAI resource, through the `openai` package's `AzureOpenAI` client. A model id is
 * a deployment name: the client puts it in the path (`/openai/deployments/{id}/…`). The models
 * are the OpenAI adapter's own classes, so requests, answers, streams and errors go through
 * the one OpenAI conversion code path.
 */
export function createAzureOpenAIProvider(options: AzureOpenAIProviderOptions): Provider {
  if (!options.apiKey) throw new Error(`Provider "${options.id}" (azure-openai) needs an apiKey`);
  if (!options.baseURL) {
    throw new Error(
      `Provider "${options.id}" (azure-openai) needs its resource endpoint (baseURL)`,
    );
  }
  const timeoutMs = options.timeoutMs ?? defaultProviderTimeoutMs;
  const baseURL = `${options.baseURL.replace(/\/+$/, '')}/openai`;
  // The client (and the SDK) is made on the resource's first call.
  const sharedClient = onFirstUse(
    (): AzureOpenAI =>
      new (openaiSdk().AzureOpenAI)({
        apiKey: options.apiKey,
        apiVersion: options.apiVersion ?? defaultAzureApiVersion,
        // baseURL rather than `endpoint`, and every option explicit, so the SDK reads no
        // AZURE_OPENAI_* / OPENAI_* environment variables: core takes options.
        baseURL,
        organization: null,
        project: null,
        webhookSecret: null,
        // The pipeline owns retries, backoff and Retry-After.
        maxRetries: 0,
        timeout: timeoutMs,
        defaultHeaders: options.headers,
        logLevel: 'off',
      }),
  );
  const settings = { provider: options.id, client: sharedClient, timeoutMs };
  return {
    id: options.id,
    kind: 'azure-openai',
    languageModel: (modelId) => new OpenAILanguageModel(modelId, settings),
    completionModel: (modelId) => new OpenAICompletionModel(modelId, settings),
    embeddingModel: (modelId) => new OpenAIEmbeddingModel(modelId, settings),
  };
}
