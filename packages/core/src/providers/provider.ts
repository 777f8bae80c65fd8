import { z } from 'zod';
import type { CompletionModel } from './completion-model';
import type { EmbeddingModel } from './embedding-model';
import type { LanguageModel } from './language-model';
import type { ModelTraits } from './model-traits';
import {
  openAICompatiblePresetSchema,
  refusableParameterSchema,
  toolCallIdRuleNameSchema,
} from './openai-compatible/openai-compatible-presets';

/** The kinds of provider llmq can talk to; one adapter folder each. */
export const providerKindSchema = z.enum([
  'openai',
  'anthropic',
  'openai-compatible',
  'azure-openai',
  'gemini',
]);
export type ProviderKind = z.infer<typeof providerKindSchema>;

/** How long one call may wait for a provider unless configured otherwise, in milliseconds. */
export const defaultProviderTimeoutMs = 60_000;

/** The Azure OpenAI data-plane API version llmq speaks unless configured otherwise. */
export const defaultAzureApiVersion = '2024-10-21';

/** How many tokens Anthropic may generate when a request names no limit (Anthropic requires one). */
export const defaultAnthropicMaxTokens = 4096;

const providerIdSchema = z
  .string()
  .min(1)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"');

/** Fields every provider account has. */
const commonProviderConfigShape = {
  /** This account's id, used in routing, metrics and errors (e.g. `openai`, `local-vllm`). */
  id: providerIdSchema,
  /**
   * The API's base URL. OpenAI's includes `/v1` (default `https://api.openai.com/v1`);
   * Anthropic's does not (default `https://api.anthropic.com`); required for
   * `openai-compatible` (e.g. `http://localhost:8000/v1`) and for `azure-openai`, where it is
   * the resource endpoint (`https://my-resource.openai.azure.com`); Gemini's default is
   * `https://generativelanguage.googleapis.com` (the SDK adds `/v1beta`).
   */
  baseURL: z.url().optional(),
  /**
   * The API key: required for `openai` (sent as `Authorization: Bearer`), `anthropic` (sent
   * as `x-api-key`), `azure-openai` (`api-key`) and `gemini` (`x-goog-api-key`), optional for
   * `openai-compatible`. Core never falls back to the SDKs' own
   * environment variables or credential files. A configured header of the key's name
   * (`Authorization`, `x-api-key`, `api-key`; a gateway's token) takes its place, sent as it
   * is; an account with both is refused (the header would replace the key).
   */
  apiKey: z.string().min(1).optional(),
  /**
   * How long one call may wait, in milliseconds. For a stream, the longest wait for the first
   * byte and between chunks. Default 60000.
   */
  timeoutMs: z.number().int().positive().default(defaultProviderTimeoutMs),
  /** Headers sent with every request to this provider (e.g. an organisation or project id). */
  headers: z.record(z.string(), z.string()).optional(),
};

/** The header each kind of API takes its key in (the one llmq sends `apiKey` in). */
export const keyHeaderByKind: Readonly<Record<ProviderKind, string>> = {
  openai: 'authorization',
  'openai-compatible': 'authorization',
  'azure-openai': 'api-key',
  anthropic: 'x-api-key',
  gemini: 'x-goog-api-key',
};

/** The name, as configured, of the configured header that carries the kind's key, if any. */
export function configuredKeyHeader(
  kind: ProviderKind,
  headers: Record<string, string> | undefined,
): string | undefined {
  const keyHeader = keyHeaderByKind[kind];
  return Object.keys(headers ?? {}).find((name) => name.toLowerCase() === keyHeader);
}

const apiKeyRequired = {
  message: 'an API key is required for this kind of provider',
  path: ['apiKey'],
};

/**
 * Whether an account of `kind` has its key: `apiKey`, or (but for Gemini, whose SDK takes the
 * key itself) a configured header in the kind's key header (`Authorization`, `api-key`,
 * `x-api-key`), sent as it is in its place. Giving both is refused when the account is built
 * (`accountKeySource`).
 */
const hasKey =
  (kind: Exclude<ProviderKind, 'gemini' | 'openai-compatible'>) =>
  (config: { apiKey?: string; headers?: Record<string, string> }) =>
    config.apiKey !== undefined || configuredKeyHeader(kind, config.headers) !== undefined;

/**
 * One configured provider account. Parsed once at the edge (an app's `env.ts`, or
 * `createProviderRegistry`); adapters take the parsed value. Fields are optional in the type
 * where some kinds need them, and each kind checks its own at parse time.
 */
export const providerConfigSchema = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('openai'), ...commonProviderConfigShape })
    .refine(hasKey('openai'), apiKeyRequired),
  z
    .object({
      kind: z.literal('anthropic'),
      ...commonProviderConfigShape,
      /** `max_tokens` for requests that name no limit (Anthropic requires one). Default 4096. */
      maxTokensDefault: z.number().int().positive().default(defaultAnthropicMaxTokens),
    })
    .refine(hasKey('anthropic'), apiKeyRequired),
  z
    .object({
      kind: z.literal('openai-compatible'),
      ...commonProviderConfigShape,
      /** Most sockets kept open to the server at once. Default 256. */
      maxSockets: z.number().int().positive().default(256),
      /**
       * A known server (`vllm`, `ollama`, `groq`, `mistral`, `deepseek`, `together`): gives the
       * default base URL and the request fields the server refuses (docs/providers.md).
       */
      preset: openAICompatiblePresetSchema.optional(),
      /** Request fields refused on top of the preset's, for a server with other quirks. */
      refusedParameters: z.array(refusableParameterSchema).optional(),
      /**
       * The tool call ids the server takes (`openai`, `alphanumeric-9`); default the preset's,
       * else `openai`. A vLLM or Ollama serving a Mistral model needs `alphanumeric-9`.
       */
      toolCallIds: toolCallIdRuleNameSchema.optional(),
    })
    .refine((config) => config.baseURL !== undefined || config.preset !== undefined, {
      message: "an OpenAI-compatible provider needs its server's base URL or a preset",
      path: ['baseURL'],
    }),
  z
    .object({
      kind: z.literal('azure-openai'),
      ...commonProviderConfigShape,
      /** The `api-version` query parameter of every call. Default `2024-10-21`. */
      apiVersion: z.string().min(1).default(defaultAzureApiVersion),
    })
    .refine(hasKey('azure-openai'), apiKeyRequired)
    .refine((config) => config.baseURL !== undefined, {
      message: 'an Azure OpenAI provider needs its resource endpoint',
      path: ['baseURL'],
    }),
  z
    .object({ kind: z.literal('gemini'), ...commonProviderConfigShape })
    .refine((config) => config.apiKey !== undefined, apiKeyRequired),
]);

/** A provider account after parsing (defaults applied). */
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
/** A provider account as written (defaults may be left out). */
export type ProviderConfigInput = z.input<typeof providerConfigSchema>;
/** The config of one kind of provider. */
export type ProviderConfigOf<Kind extends ProviderKind> = Extract<ProviderConfig, { kind: Kind }>;

/** One provider account: hands out its models and owns their connections. */
export interface Provider {
  /** The account id from its config. */
  readonly id: string;
  readonly kind: ProviderKind;
  /**
   * The model `modelId` (the provider's own name for it) of this account; `traits` are what
   * the catalog says of it (an adapter whose API checks them per model shapes its calls by them).
   */
  languageModel(modelId: string, traits?: ModelTraits): LanguageModel;
  /**
   * The text-completion model `modelId` (`POST /v1/completions`, prompt arrays); absent for
   * providers without that API (Anthropic).
   */
  completionModel?(modelId: string): CompletionModel;
  /** The embedding model `modelId` of this account; absent for kinds without embeddings (Anthropic). */
  embeddingModel?(modelId: string): EmbeddingModel;
  /** Closes kept-alive connections. Calls made afterwards may fail. */
  close?(): Promise<void>;
}
