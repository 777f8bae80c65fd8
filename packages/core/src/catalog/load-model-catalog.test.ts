import { defined } from '@llmq/testing';
import { loadModelCatalog, ModelCatalogError, parseModelCatalog } from './load-model-catalog';

const baseFields: Record<string, string> = {
  id: 'a-model',
  provider: 'simulator-openai',
  upstream_model: 'sim-gpt-fast',
  tier: 'fast',
  context_window: '1000',
  max_output_tokens: '100',
  pricing: '{ input: 1, output: 2, cached_input: 0.5 }',
  expected_latency_ms: '100',
};
const entry = (overrides: Record<string, string> = {}) =>
  `\n  - ${Object.entries({ ...baseFields, ...overrides })
    .map(([key, value]) => `${key}: ${value}`)
    .join('\n    ')}`;

describe('model catalog file', () => {
  it('loads the shipped catalog: simulator, OpenAI, Anthropic and a local example', () => {
    const catalog = loadModelCatalog();
    const ids = catalog.list().map((model) => model.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'sim-gpt-fast',
        'sim-gpt-strong',
        'sim-claude-fast',
        'sim-claude-strong',
        'sim-local-llama',
        'gpt-5',
        'claude-sonnet-4-5',
        'local-llama-3.1-8b',
      ]),
    );
    expect(catalog.resolve('local')?.id).toBe('sim-local-llama');
    expect(catalog.resolve('sim-gpt-fast')).toMatchObject({
      tier: 'fast',
      capabilities: { streaming: true },
      fallbacks: ['sim-claude-fast', 'sim-local-llama'],
    });
  });

  it('marks models of unkeyed providers and disabled entries unavailable', () => {
    const catalog = loadModelCatalog(undefined, {
      availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
    });
    const gpt5 = defined(catalog.resolve('gpt-5'), 'gpt-5 in the catalog');
    expect(catalog.unavailability(gpt5)).toBe('provider_not_configured');
    const local = defined(catalog.resolve('local-llama-3.1-8b'), 'local-llama-3.1-8b');
    expect(catalog.unavailability(local)).toBe('disabled');
    expect(catalog.available().every((model) => model.id.startsWith('sim-'))).toBe(true);
  });

  it('reads endpoints and micro-batching settings, and keeps non-chat models out of chat routing', () => {
    const catalog = loadModelCatalog(undefined, {
      availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
    });
    expect(catalog.resolve('sim-gpt-fast')).toMatchObject({ endpoints: ['chat'] });
    expect(catalog.resolve('sim-gpt-fast')?.batching).toBeUndefined();
    const embed = defined(catalog.resolve('sim-embed-small'), 'sim-embed-small');
    expect(embed).toMatchObject({
      endpoints: ['embeddings'],
      batching: { max_items: 16, max_wait_ms: 10 },
    });
    expect(catalog.unavailability(embed)).toBe('endpoint_not_supported');
    expect(catalog.unavailability(embed, 'embeddings')).toBeUndefined();
    expect(catalog.available().map((model) => model.id)).not.toContain('sim-embed-small');
    expect(catalog.available('completions').map((model) => model.id)).toEqual([
      'sim-local-llama',
      'sim-gpt-instruct',
    ]);
    expect(catalog.available('embeddings').map((model) => model.id)).toEqual(['sim-embed-small']);
  });

  it('defaults batching sizes and refuses batching where it cannot apply', () => {
    const catalog = parseModelCatalog(
      `models:${entry({
        endpoints: '[embeddings]',
        capabilities: '{ batching: true }',
        batching: '{}',
      })}`,
    );
    expect(catalog.resolve('a-model')?.batching).toEqual({ max_items: 16, max_wait_ms: 10 });
    expect(() =>
      parseModelCatalog(`models:${entry({ endpoints: '[embeddings]', batching: '{}' })}`),
    ).toThrow(/batching.*capabilities\.batching/);
    expect(() =>
      parseModelCatalog(
        `models:${entry({ capabilities: '{ batching: true }', batching: '{ max_items: 4 }' })}`,
      ),
    ).toThrow(/batching applies to completions and embeddings/);
  });

  it.each([
    [entry({ endpoints: '[chat, images]' }), /models\[0\]\.endpoints\[1\]/],
    [entry({ endpoints: '[]' }), /models\[0\]\.endpoints/],
    [entry({ tier: 'huge' }), /models\[0\]\.tier \(model "a-model"\)/],
    [
      entry({ pricing: '{ input: -1, output: 2, cached_input: 0 }' }),
      /models\[0\]\.pricing\.input/,
    ],
    [entry({ fallbacks: '[nope]' }), /models\[0\]\.fallbacks\[0\].*unknown model id "nope"/],
    [entry({ colour: 'blue' }), /models\[0\]/],
    [`${entry()}${entry()}`, /models\[1\]\.id.*already defined by models\[0\]/],
    ['models: [', /invalid model catalog/],
  ])('refuses a bad catalog and names the offending entry (%#)', (yaml, message) => {
    const text = yaml.startsWith('models') ? yaml : `models:${yaml}`;
    expect(() => parseModelCatalog(text, { source: 'test.yaml' })).toThrow(ModelCatalogError);
    expect(() => parseModelCatalog(text, { source: 'test.yaml' })).toThrow(message);
  });

  it('reads rate limits of a model and of a provider account', () => {
    const catalog = parseModelCatalog(
      `provider_limits:\n  simulator-openai: { rpm: 100 }\nmodels:${entry({
        rate_limits: '{ rpm: 10, tpm: 5000, window_ms: 1000 }',
      })}${entry({ id: 'b-model' })}`,
    );
    expect(catalog.resolve('a-model')?.rate_limits).toEqual({
      rpm: 10,
      tpm: 5000,
      window_ms: 1000,
    });
    expect(defined(catalog.resolve('b-model'), 'b-model').rate_limits).toBeUndefined();
    expect(catalog.limitsOfProvider('simulator-openai')).toEqual({ rpm: 100, window_ms: 60_000 });
    expect(catalog.limitsOfProvider('openai')).toBeUndefined();
  });

  it.each([
    [`models:${entry({ rate_limits: '{}' })}`, /models\[0\]\.rate_limits.*rpm, tpm or both/],
    [`models:${entry({ rate_limits: '{ rpm: -1 }' })}`, /models\[0\]\.rate_limits\.rpm/],
    [`provider_limits:\n  nowhere: { rpm: 1 }\nmodels:${entry()}`, /provider_limits/],
  ])('refuses bad rate limits (%#)', (yaml, message) => {
    expect(() => parseModelCatalog(yaml, { source: 'test.yaml' })).toThrow(message);
  });

  it('says which file it could not read', () => {
    expect(() => loadModelCatalog('/nonexistent/models.yaml')).toThrow(
      /cannot read model catalog \/nonexistent\/models\.yaml/,
    );
  });
});
