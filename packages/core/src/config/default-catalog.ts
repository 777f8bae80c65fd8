import type { OpenAICompatiblePresetName } from '../providers/openai-compatible/openai-compatible-presets';
import { defaultAnthropicMaxTokens, type ProviderKind } from '../providers/provider';

/** Provider endpoints and keys, as each app's env.ts parsed them. */
export interface ProviderSettings {
  /** The LLM simulator's base URL (env `SIMULATOR_URL`, default http://127.0.0.1:4010). */
  simulatorUrl: string;
  /** Turns the real OpenAI provider on (env `OPENAI_API_KEY`). */
  openaiApiKey?: string;
  /** Env `OPENAI_BASE_URL`; default the official endpoint. */
  openaiBaseUrl?: string;
  /** Turns the real Anthropic provider on (env `ANTHROPIC_API_KEY`). */
  anthropicApiKey?: string;
  /** Env `ANTHROPIC_BASE_URL`; default the official endpoint. */
  anthropicBaseUrl?: string;
  /**
   * Env `ANTHROPIC_MAX_TOKENS_DEFAULT`: the `max_tokens` of every Anthropic account (the
   * simulator's and the real one) for requests that name none; default 4,096.
   */
  anthropicMaxTokensDefault?: number;
  /** A local OpenAI-compatible server (vLLM, Ollama, LM Studio), env `LOCAL_LLM_BASE_URL`; default the simulator. */
  localBaseUrl?: string;
  /** Env `LOCAL_LLM_API_KEY`. */
  localApiKey?: string;
  /** Env `LOCAL_LLM_PRESET` (`vllm`, `ollama`): the local server's default URL and quirks. */
  localPreset?: OpenAICompatiblePresetName;
  /** Turns an Azure OpenAI resource on with `azureOpenAIEndpoint` (env `AZURE_OPENAI_API_KEY`). */
  azureOpenAIApiKey?: string;
  /** Env `AZURE_OPENAI_ENDPOINT`, e.g. `https://my-resource.openai.azure.com`. */
  azureOpenAIEndpoint?: string;
  /** Env `AZURE_OPENAI_API_VERSION`; default the adapter's (2024-10-21). */
  azureOpenAIApiVersion?: string;
  /** Turns the Gemini API on (env `GEMINI_API_KEY`). */
  geminiApiKey?: string;
  /** Env `GEMINI_BASE_URL`; default the official endpoint. */
  geminiBaseUrl?: string;
  /** Keys of hosted OpenAI-compatible services, each turning its preset account on. */
  groqApiKey?: string;
  mistralApiKey?: string;
  deepseekApiKey?: string;
  togetherApiKey?: string;
  /** Per-call timeout, ms (env `PROVIDER_TIMEOUT_MS`, default 60000). */
  timeoutMs: number;
}

/** A provider account: which adapter, where, with which key. */
export interface ProviderAccount {
  id: string;
  kind: ProviderKind;
  baseURL?: string;
  apiKey?: string;
  timeoutMs: number;
  /** Azure OpenAI's `api-version`. */
  apiVersion?: string;
  /** An OpenAI-compatible server's preset. */
  preset?: OpenAICompatiblePresetName;
  /** An Anthropic account's `max_tokens` for requests that name none (default 4,096). */
  maxTokensDefault?: number;
}

/**
 * Each Anthropic account's `max_tokens` for requests that name none, by account id, for the
 * catalog (`ModelCatalogOptions.maxTokensDefaults`): routing, estimates and reservations then
 * count the `max_tokens` each account sends. Every Anthropic account is listed, with its own
 * default or the adapter's, so a model deployed on several accounts is counted at the largest.
 */
export function accountMaxTokensDefaults(
  accounts: readonly Pick<ProviderAccount, 'id' | 'kind' | 'maxTokensDefault'>[],
): Record<string, number> {
  const defaults: Record<string, number> = {};
  for (const account of accounts) {
    if (account.kind === 'anthropic')
      defaults[account.id] = account.maxTokensDefault ?? defaultAnthropicMaxTokens;
  }
  return defaults;
}

/** The hosted OpenAI-compatible services an account is made for when their key is set. */
const hostedPresets = [
  ['groq', 'groqApiKey'],
  ['mistral', 'mistralApiKey'],
  ['deepseek', 'deepseekApiKey'],
  ['together', 'togetherApiKey'],
] as const satisfies ReadonlyArray<readonly [OpenAICompatiblePresetName, keyof ProviderSettings]>;

/** Provider accounts: the simulator in every wire format, a local server, and real providers when keyed. */
export function defaultProviderAccounts(settings: ProviderSettings): ProviderAccount[] {
  const simulator = settings.simulatorUrl.replace(/\/+$/, '');
  const accounts: ProviderAccount[] = [
    {
      id: 'simulator-openai',
      kind: 'openai',
      baseURL: `${simulator}/v1`,
      apiKey: 'simulator',
      timeoutMs: settings.timeoutMs,
    },
    {
      id: 'simulator-anthropic',
      kind: 'anthropic',
      baseURL: simulator,
      apiKey: 'simulator',
      timeoutMs: settings.timeoutMs,
      ...anthropicDefaults(settings),
    },
    {
      id: 'simulator-azure',
      kind: 'azure-openai',
      baseURL: simulator,
      apiKey: 'simulator',
      timeoutMs: settings.timeoutMs,
    },
    {
      id: 'simulator-gemini',
      kind: 'gemini',
      baseURL: simulator,
      apiKey: 'simulator',
      timeoutMs: settings.timeoutMs,
    },
    localAccount(settings, simulator),
  ];
  if (settings.openaiApiKey) {
    accounts.push({
      id: 'openai',
      kind: 'openai',
      baseURL: settings.openaiBaseUrl,
      apiKey: settings.openaiApiKey,
      timeoutMs: settings.timeoutMs,
    });
  }
  if (settings.azureOpenAIApiKey && settings.azureOpenAIEndpoint) {
    accounts.push({
      id: 'azure-openai',
      kind: 'azure-openai',
      baseURL: settings.azureOpenAIEndpoint,
      apiKey: settings.azureOpenAIApiKey,
      apiVersion: settings.azureOpenAIApiVersion,
      timeoutMs: settings.timeoutMs,
    });
  }
  if (settings.geminiApiKey) {
    accounts.push({
      id: 'gemini',
      kind: 'gemini',
      baseURL: settings.geminiBaseUrl,
      apiKey: settings.geminiApiKey,
      timeoutMs: settings.timeoutMs,
    });
  }
  for (const [preset, keySetting] of hostedPresets) {
    const apiKey = settings[keySetting];
    if (apiKey) {
      accounts.push({
        id: preset,
        kind: 'openai-compatible',
        preset,
        apiKey,
        timeoutMs: settings.timeoutMs,
      });
    }
  }
  if (settings.anthropicApiKey) {
    accounts.push({
      id: 'anthropic',
      kind: 'anthropic',
      baseURL: settings.anthropicBaseUrl,
      apiKey: settings.anthropicApiKey,
      timeoutMs: settings.timeoutMs,
      ...anthropicDefaults(settings),
    });
  }
  return accounts;
}

/** An Anthropic account's `maxTokensDefault` when the environment sets one. */
function anthropicDefaults(settings: ProviderSettings): Pick<ProviderAccount, 'maxTokensDefault'> {
  const { anthropicMaxTokensDefault } = settings;
  return anthropicMaxTokensDefault === undefined
    ? {}
    : { maxTokensDefault: anthropicMaxTokensDefault };
}

/**
 * The `local` OpenAI-compatible account: `LOCAL_LLM_BASE_URL`, else the preset's URL, else the
 * simulator. The simulator wants some key; a real local server usually wants none.
 */
function localAccount(settings: ProviderSettings, simulator: string): ProviderAccount {
  const onSimulator = settings.localBaseUrl === undefined && settings.localPreset === undefined;
  return {
    id: 'local',
    kind: 'openai-compatible',
    baseURL: settings.localBaseUrl ?? (onSimulator ? `${simulator}/v1` : undefined),
    apiKey: settings.localApiKey ?? (onSimulator ? 'simulator' : undefined),
    timeoutMs: settings.timeoutMs,
    ...(settings.localPreset === undefined ? {} : { preset: settings.localPreset }),
  };
}
