import { startSimulator } from '@llmq/llm-simulator';
import { z } from 'zod';
import { ModelCatalog } from '../catalog/model-catalog';
import { accountKinds } from '../providers/max-output-tokens';
import { createProviderRegistry } from '../providers/provider-registry';
import { accountMaxTokensDefaults, defaultProviderAccounts } from './default-catalog';
import { parseEnvironment, providerEnvShape, toProviderSettings } from './env-schema';

const settingsOf = (environment: Record<string, string>) =>
  toProviderSettings(parseEnvironment(z.object(providerEnvShape), environment));

describe('defaultProviderAccounts', () => {
  it('serves the simulator in every wire format, and no real provider without its key', () => {
    const accounts = defaultProviderAccounts(settingsOf({}));
    expect(accounts.map((account) => [account.id, account.kind])).toEqual([
      ['simulator-openai', 'openai'],
      ['simulator-anthropic', 'anthropic'],
      ['simulator-azure', 'azure-openai'],
      ['simulator-gemini', 'gemini'],
      ['local', 'openai-compatible'],
    ]);
  });

  it('adds Azure, Gemini and hosted preset accounts when keyed, each a valid provider config', async () => {
    const accounts = defaultProviderAccounts(
      settingsOf({
        AZURE_OPENAI_API_KEY: 'a',
        AZURE_OPENAI_ENDPOINT: 'https://my-resource.openai.azure.com',
        GEMINI_API_KEY: 'g',
        GROQ_API_KEY: 'q',
        LOCAL_LLM_PRESET: 'ollama',
      }),
    );
    expect(accounts.find((account) => account.id === 'groq')).toMatchObject({
      kind: 'openai-compatible',
      preset: 'groq',
      apiKey: 'q',
    });
    expect(accounts.find((account) => account.id === 'local')).toMatchObject({
      preset: 'ollama',
      baseURL: undefined,
      apiKey: undefined,
    });
    const registry = createProviderRegistry(accounts);
    expect(registry.ids()).toEqual(
      expect.arrayContaining(['azure-openai', 'gemini', 'groq', 'local']),
    );
    expect(registry.ids()).not.toContain('mistral');
    await registry.close();
  });

  it('gives every account the kind the cost estimates read for its models (accountKinds)', () => {
    const accounts = defaultProviderAccounts(
      settingsOf({
        OPENAI_API_KEY: 'o',
        ANTHROPIC_API_KEY: 'a',
        AZURE_OPENAI_API_KEY: 'z',
        AZURE_OPENAI_ENDPOINT: 'https://my-resource.openai.azure.com',
        GEMINI_API_KEY: 'g',
        GROQ_API_KEY: 'q',
        MISTRAL_API_KEY: 'm',
        DEEPSEEK_API_KEY: 'd',
        TOGETHER_API_KEY: 't',
      }),
    );
    expect(Object.fromEntries(accounts.map((account) => [account.id, account.kind]))).toEqual(
      accountKinds,
    );
  });

  it('refuses a local preset that is a hosted service', () => {
    expect(() => settingsOf({ LOCAL_LLM_PRESET: 'groq' })).toThrow(/LOCAL_LLM_PRESET/);
  });
});

describe('ANTHROPIC_MAX_TOKENS_DEFAULT', () => {
  it('is the max_tokens every Anthropic account sends for a request that names none', async () => {
    const simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
    const accounts = defaultProviderAccounts(
      settingsOf({
        SIMULATOR_URL: simulator.url,
        ANTHROPIC_API_KEY: 'a',
        ANTHROPIC_MAX_TOKENS_DEFAULT: '3',
      }),
    );
    const registry = createProviderRegistry(accounts);
    try {
      expect(accountMaxTokensDefaults(accounts)).toEqual({
        'simulator-anthropic': 3,
        anthropic: 3,
      });
      // Over the wire: the simulator stops the answer at the account's max_tokens.
      const result = await registry
        .languageModel('simulator-anthropic', 'sim-claude-fast')
        .generate({
          messages: [{ role: 'user', content: 'echo: one two three four five six seven eight' }],
        });
      expect(result.finishReason).toBe('length');
      expect(result.usage.outputTokens).toBe(3);
    } finally {
      await registry.close();
      await simulator.close();
    }
  });

  it('is refused by name when it is not a positive integer', () => {
    for (const value of ['0', '-5', '12.5', 'lots']) {
      expect(() => settingsOf({ ANTHROPIC_MAX_TOKENS_DEFAULT: value })).toThrow(
        /ANTHROPIC_MAX_TOKENS_DEFAULT/,
      );
    }
  });
});

describe('accountMaxTokensDefaults', () => {
  it("lists every Anthropic account's max_tokens default, so a model on several accounts counts the largest", () => {
    const accounts = [
      ...defaultProviderAccounts(settingsOf({})),
      { id: 'anthropic', kind: 'anthropic' as const, timeoutMs: 1000, maxTokensDefault: 1000 },
    ];
    const defaults = accountMaxTokensDefaults(accounts);
    expect(defaults).toEqual({ 'simulator-anthropic': 4096, anthropic: 1000 });
    const claude = {
      id: 'claude',
      provider: 'anthropic' as const,
      upstream_model: 'claude-x',
      tier: 'fast' as const,
      context_window: 200_000,
      max_output_tokens: 64_000,
      pricing: { input: 1, output: 5, cached_input: 0.1 },
      expected_latency_ms: 500,
    };
    const catalog = new ModelCatalog(
      [
        claude,
        {
          ...claude,
          id: 'spread',
          deployments: [{ id: 'own' }, { id: 'sim', provider: 'simulator-anthropic' as const }],
        },
      ],
      { maxTokensDefaults: defaults },
    );
    const resolved = (id: string) => {
      const entry = catalog.resolve(id);
      if (!entry) throw new Error(id);
      return entry;
    };
    expect(catalog.maxTokensDefaultOf(resolved('claude'))).toBe(1000);
    expect(catalog.maxTokensDefaultOf(resolved('spread'))).toBe(4096);
  });
});
