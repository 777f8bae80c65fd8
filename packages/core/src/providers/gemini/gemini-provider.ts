import { accountKeySource } from '../account-key';
import { onFirstUse } from '../on-first-use';
import { defaultProviderTimeoutMs, type Provider } from '../provider';
import { GeminiEmbeddingModel } from './gemini-embedding-model';
import { GeminiLanguageModel } from './gemini-language-model';
import { type GoogleGenAIClient, geminiSdk } from './gemini-sdk';

/** Options of a Gemini API account (the `gemini` provider config, with defaults optional). */
export interface GeminiProviderOptions {
  /** The account id, used in routing, metrics and errors. */
  id: string;
  /** The API key, sent as `x-goog-api-key`. Required (optional only in the type, like the config's). */
  apiKey?: string;
  /** Default `https://generativelanguage.googleapis.com` (the SDK adds `/v1beta/…`). */
  baseURL?: string;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). Default 60000. */
  timeoutMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

const defaultGeminiBaseURL = 'https://generativelanguage.googleapis.com';

/**
 * A Gemini API account (Google AI Studio keys; Vertex AI is not wired). One SDK client per
 * account. Every option is passed explicitly so the SDK reads none of its environment
 * variables (`GEMINI_API_KEY`, `GOOGLE_GENAI_USE_VERTEXAI`, `GOOGLE_GEMINI_BASE_URL`), and it
 * gets no retry options: the pipeline owns retries.
 */
export function createGeminiProvider(options: GeminiProviderOptions): Provider {
  // The SDK takes the key itself; a configured x-goog-api-key beside it is refused.
  if (accountKeySource({ ...options, kind: 'gemini' }) !== 'apiKey') {
    throw new Error(`Provider "${options.id}" (gemini) needs an apiKey`);
  }
  const timeoutMs = options.timeoutMs ?? defaultProviderTimeoutMs;
  const sharedClient = onFirstUse(
    (): GoogleGenAIClient =>
      new (geminiSdk().GoogleGenAI)({
        vertexai: false,
        apiKey: options.apiKey,
        apiVersion: 'v1beta',
        httpOptions: {
          baseUrl: (options.baseURL ?? defaultGeminiBaseURL).replace(/\/+$/, ''),
          // The process's own fetch: without one the SDK swaps in a dispatcher it finds through
          // undici's global symbol, which is missing in some runtimes (jest's VM contexts). Our
          // CallSignal bounds every call, so the SDK's wish to lift undici's timeouts is moot.
          fetch: globalThis.fetch,
          ...(options.headers === undefined ? {} : { headers: options.headers }),
        },
      }),
  );
  // The client (and the SDK) is made on the account's first call.
  const settings = { provider: options.id, client: sharedClient, timeoutMs };
  return {
    id: options.id,
    kind: 'gemini',
    languageModel: (modelId) => new GeminiLanguageModel(modelId, settings),
    embeddingModel: (modelId) => new GeminiEmbeddingModel(modelId, settings),
  };
}
