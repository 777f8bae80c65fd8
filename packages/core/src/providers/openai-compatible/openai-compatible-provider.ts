import { accountKeySource } from '../account-key';
import { createKeepAliveAgent } from '../http/keep-alive-pool';
import { mergeHeaders, postTarget } from '../http/post-json';
import { defaultProviderTimeoutMs, type Provider } from '../provider';
import { alphanumeric9ToolCallIds, openAIToolCallIds } from '../tool-call-id-rules';
import { OpenAICompatibleCompletionModel } from './openai-compatible-completion-model';
import { OpenAICompatibleEmbeddingModel } from './openai-compatible-embedding-model';
import { OpenAICompatibleLanguageModel } from './openai-compatible-language-model';
import {
  type OpenAICompatiblePresetName,
  openAICompatiblePresets,
  type RefusableParameter,
  type ToolCallIdRuleName,
} from './openai-compatible-presets';

/** Options of an OpenAI-compatible server (the `openai-compatible` provider config). */
export interface OpenAICompatibleProviderOptions {
  /** The account id, used in routing, metrics and errors. */
  id: string;
  /**
   * The server's OpenAI-style base URL including `/v1` (e.g. `http://localhost:8000/v1`).
   * Required unless a preset gives one.
   */
  baseURL?: string;
  /** A known server (vLLM, Ollama, Groq, …): its default base URL and refused fields. */
  preset?: OpenAICompatiblePresetName;
  /** Fields refused on top of the preset's (fields this server refuses or ignores). */
  refusedParameters?: readonly RefusableParameter[];
  /** The tool call ids the server takes; default the preset's, else OpenAI's. */
  toolCallIds?: ToolCallIdRuleName;
  /** Sent as `Authorization: Bearer` when set. */
  apiKey?: string;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). Default 60000. */
  timeoutMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** Most sockets kept open to the server at once. Default 256. */
  maxSockets?: number;
}

/**
 * An OpenAI-compatible server. One keep-alive pool per server, shared by all its models;
 * `close()` destroys its sockets.
 */
export function createOpenAICompatibleProvider(options: OpenAICompatibleProviderOptions): Provider {
  const preset = options.preset === undefined ? undefined : openAICompatiblePresets[options.preset];
  const baseURL = options.baseURL ?? preset?.baseURL;
  if (!baseURL) {
    throw new Error(`Provider "${options.id}" (openai-compatible) needs a baseURL`);
  }
  const base = baseURL.replace(/\/+$/, '');
  const endpoint = new URL(`${base}/chat/completions`);
  const agent = createKeepAliveAgent(endpoint, { maxSockets: options.maxSockets });
  const keySource = accountKeySource({ ...options, kind: 'openai-compatible' });
  // What the openai SDK sends on every request, streams included (it never asks for
  // `text/event-stream`): servers built against it see the same.
  const headers = mergeHeaders(
    { 'content-type': 'application/json', accept: 'application/json' },
    keySource === 'apiKey' ? { authorization: `Bearer ${options.apiKey}` } : undefined,
    options.headers,
  );
  const settings = {
    provider: options.id,
    target: postTarget(endpoint),
    headers,
    agent,
    timeoutMs: options.timeoutMs ?? defaultProviderTimeoutMs,
  };
  const refusedParameters = [
    ...new Set([...(preset?.refusedParameters ?? []), ...(options.refusedParameters ?? [])]),
  ];
  const toolCallIds =
    (options.toolCallIds ?? preset?.toolCallIds) === 'alphanumeric-9'
      ? alphanumeric9ToolCallIds
      : openAIToolCallIds;
  return {
    id: options.id,
    kind: 'openai-compatible',
    languageModel: (modelId, traits) =>
      new OpenAICompatibleLanguageModel(
        modelId,
        {
          ...settings,
          refusedParameters,
          toolCallIds,
          ...(preset?.renamedFields !== undefined ? { renamedFields: preset.renamedFields } : {}),
        },
        traits,
      ),
    completionModel: (modelId) =>
      new OpenAICompatibleCompletionModel(modelId, {
        ...settings,
        target: postTarget(new URL(`${base}/completions`)),
      }),
    embeddingModel: (modelId) =>
      new OpenAICompatibleEmbeddingModel(modelId, {
        ...settings,
        target: postTarget(new URL(`${base}/embeddings`)),
      }),
    close: async () => agent.destroy(),
  };
}
