import { providerConfigSchema } from './provider';
import { createProviderRegistry } from './provider-registry';

describe('providerConfigSchema', () => {
  it('applies defaults per kind', () => {
    expect(providerConfigSchema.parse({ kind: 'anthropic', id: 'anthropic', apiKey: 'k' })).toEqual(
      {
        kind: 'anthropic',
        id: 'anthropic',
        apiKey: 'k',
        timeoutMs: 60_000,
        maxTokensDefault: 4096,
      },
    );
    expect(
      providerConfigSchema.parse({
        kind: 'openai-compatible',
        id: 'local',
        baseURL: 'http://127.0.0.1:8000/v1',
      }),
    ).toMatchObject({
      timeoutMs: 60_000,
      maxSockets: 256,
    });
  });

  it('defaults the Azure api-version and fills an OpenAI-compatible base URL from its preset', () => {
    expect(
      providerConfigSchema.parse({
        kind: 'azure-openai',
        id: 'azure',
        apiKey: 'k',
        baseURL: 'https://my-resource.openai.azure.com',
      }),
    ).toMatchObject({ apiVersion: '2024-10-21', timeoutMs: 60_000 });
    expect(
      providerConfigSchema.safeParse({ kind: 'openai-compatible', id: 'groq', preset: 'groq' })
        .success,
    ).toBe(true);
    expect(
      providerConfigSchema.safeParse({ kind: 'openai-compatible', id: 'x', preset: 'cohere' })
        .success,
    ).toBe(false);
  });

  it('takes a configured key header in place of apiKey, and refuses both at once', () => {
    const keyed = [
      { kind: 'openai', id: 'o', headers: { Authorization: 'Bearer gw' } },
      { kind: 'anthropic', id: 'a', headers: { 'X-Api-Key': 'gw' } },
      {
        kind: 'azure-openai',
        id: 'az',
        baseURL: 'https://r.openai.azure.com',
        headers: { 'api-key': 'gw' },
      },
    ] as const;
    for (const config of keyed) expect(providerConfigSchema.safeParse(config).success).toBe(true);
    expect(() => createProviderRegistry([...keyed])).not.toThrow();
    // Gemini's SDK takes the key itself.
    expect(
      providerConfigSchema.safeParse({
        kind: 'gemini',
        id: 'g',
        headers: { 'x-goog-api-key': 'k' },
      }).success,
    ).toBe(false);
    for (const config of keyed) {
      expect(() => createProviderRegistry([{ ...config, apiKey: 'k' }])).toThrow(
        'would replace the key given in apiKey',
      );
    }
  });

  it('rejects configs that cannot work', () => {
    expect(
      providerConfigSchema.safeParse({ kind: 'azure-openai', id: 'azure', apiKey: 'k' }).success,
    ).toBe(false);
    expect(providerConfigSchema.safeParse({ kind: 'gemini', id: 'gemini' }).success).toBe(false);
    expect(providerConfigSchema.safeParse({ kind: 'openai', id: 'openai' }).success).toBe(false);
    expect(providerConfigSchema.safeParse({ kind: 'anthropic', id: 'anthropic' }).success).toBe(
      false,
    );
    expect(providerConfigSchema.safeParse({ kind: 'openai-compatible', id: 'local' }).success).toBe(
      false,
    );
    expect(providerConfigSchema.safeParse({ kind: 'cohere', id: 'x', apiKey: 'k' }).success).toBe(
      false,
    );
    expect(
      providerConfigSchema.safeParse({ kind: 'openai', id: 'Has Spaces', apiKey: 'k' }).success,
    ).toBe(false);
  });
});

describe('createProviderRegistry', () => {
  it('builds each kind and hands out models by provider id', async () => {
    const registry = createProviderRegistry([
      { kind: 'openai', id: 'openai', apiKey: 'k' },
      { kind: 'anthropic', id: 'anthropic', apiKey: 'k' },
      { kind: 'openai-compatible', id: 'local', baseURL: 'http://127.0.0.1:8000/v1' },
      { kind: 'azure-openai', id: 'azure', apiKey: 'k', baseURL: 'https://r.openai.azure.com' },
      { kind: 'gemini', id: 'gemini', apiKey: 'k' },
    ]);
    expect(registry.ids()).toEqual(['openai', 'anthropic', 'local', 'azure', 'gemini']);
    expect(registry.get('azure')?.kind).toBe('azure-openai');
    expect(registry.embeddingModel('gemini', 'gemini-embedding-001').provider).toBe('gemini');
    expect(() => registry.completionModel('gemini', 'gemini-2.5-flash')).toThrow(
      /no completions API/,
    );
    expect(registry.get('anthropic')?.kind).toBe('anthropic');
    expect(registry.has('local')).toBe(true);
    const model = registry.languageModel('local', 'llama');
    expect({ provider: model.provider, modelId: model.modelId }).toEqual({
      provider: 'local',
      modelId: 'llama',
    });
    await registry.close();
  });

  it('refuses duplicate ids and names the configured ones for an unknown id', () => {
    expect(() =>
      createProviderRegistry([
        { kind: 'openai', id: 'same', apiKey: 'k' },
        { kind: 'anthropic', id: 'same', apiKey: 'k' },
      ]),
    ).toThrow(/configured twice/);
    const registry = createProviderRegistry([{ kind: 'openai', id: 'openai', apiKey: 'k' }]);
    expect(registry.get('nope')).toBeUndefined();
    expect(() => registry.languageModel('nope', 'm')).toThrow(/configured: openai/);
  });
});
