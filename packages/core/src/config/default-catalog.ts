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
  /** A local OpenAI-compatible server (vLLM, Ollama, LM Studio), env `LOCAL_LLM_BASE_URL`; default the simulator. */
  localBaseUrl?: string;
  /** Env `LOCAL_LLM_API_KEY`. */
  localApiKey?: string;
  /** Per-call timeout, ms (env `PROVIDER_TIMEOUT_MS`, default 60000). */
  timeoutMs: number;
}

/** A provider account: which adapter, where, with which key. */
export interface ProviderAccount {
  id: string;
  kind: 'openai' | 'anthropic' | 'openai-compatible';
  baseURL?: string;
  apiKey?: string;
  timeoutMs: number;
}

/** Provider accounts: the simulator in both wire formats, a local server, and real providers when keyed. */
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
    },
    {
      id: 'local',
      kind: 'openai-compatible',
      baseURL: settings.localBaseUrl ?? `${simulator}/v1`,
      // The simulator wants some key; a real local server usually wants none.
      apiKey: settings.localApiKey ?? (settings.localBaseUrl ? undefined : 'simulator'),
      timeoutMs: settings.timeoutMs,
    },
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
  if (settings.anthropicApiKey) {
    accounts.push({
      id: 'anthropic',
      kind: 'anthropic',
      baseURL: settings.anthropicBaseUrl,
      apiKey: settings.anthropicApiKey,
      timeoutMs: settings.timeoutMs,
    });
  }
  return accounts;
}
