import { z } from 'zod';
import { accountKinds } from '../providers/max-output-tokens';
import { createProviderRegistry } from '../providers/provider-registry';
import { defaultProviderAccounts } from './default-catalog';
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
