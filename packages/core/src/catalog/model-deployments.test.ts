import { defined } from '@llmq/testing';
import { ModelCatalogError, parseModelCatalog } from './load-model-catalog';
import { deploymentsOf } from './model-deployments';

const model = (id: string, extra: string) => `
  - id: ${id}
    provider: simulator-openai
    upstream_model: sim-gpt-fast
    tier: fast
    context_window: 1000
    max_output_tokens: 100
    pricing: { input: 1, output: 2, cached_input: 0.5 }
    expected_latency_ms: 100
    rate_limits: { rpm: 600 }${extra}`;

const parse = (...models: string[]) => parseModelCatalog(`models:${models.join('')}`);

describe('catalog deployments', () => {
  it('gives a model without deployments one implicit deployment with its own fields and keys', () => {
    const entry = defined(
      parse(model('plain', '')).resolve('plain'),
      'parse(model(plain, )).resolve(plain)',
    );
    expect(deploymentsOf(entry)).toEqual([
      {
        id: undefined,
        provider: 'simulator-openai',
        account: 'simulator-openai',
        upstream_model: 'sim-gpt-fast',
        weight: 1,
        rate_limits: { rpm: 600, window_ms: 60_000 },
        stateModel: 'sim-gpt-fast',
      },
    ]);
  });

  it('resolves deployments: defaults from the model, an own account for an own URL or key', () => {
    const entry = defined(
      parse(
        model(
          'spread',
          `
    deployment_strategy: least-busy
    deployments:
      - { id: east, weight: 3 }
      - { id: west, upstream_model: sim-west, base_url: "http://127.0.0.1:9/v1", rate_limits: { rpm: 60 } }
      - { id: keyed, provider: local, api_key_env: KEYED_API_KEY }`,
        ),
      ).resolve('spread'),
      'entry',
    );
    expect(entry.deployment_strategy).toBe('least-busy');
    expect(deploymentsOf(entry)).toEqual([
      expect.objectContaining({
        id: 'east',
        account: 'simulator-openai',
        upstream_model: 'sim-gpt-fast',
        weight: 3,
        rate_limits: { rpm: 600, window_ms: 60_000 },
        stateModel: 'sim-gpt-fast@east',
      }),
      expect.objectContaining({
        id: 'west',
        account: 'simulator-openai.west',
        upstream_model: 'sim-west',
        base_url: 'http://127.0.0.1:9/v1',
        rate_limits: { rpm: 60, window_ms: 60_000 },
        stateModel: 'sim-west@west',
      }),
      expect.objectContaining({
        id: 'keyed',
        provider: 'local',
        account: 'local.keyed',
        api_key_env: 'KEYED_API_KEY',
      }),
    ]);
  });

  it.each([
    [
      'a duplicate id',
      `\n    deployments: [{ id: a }, { id: a }]`,
      /deployments\[1\]\.id.*listed twice/,
    ],
    [
      'an unknown provider',
      `\n    deployments: [{ id: a, provider: nope }]`,
      /unknown provider account "nope"/,
    ],
    ['a bad id', `\n    deployments: [{ id: "East 1" }]`, /deployments\[0\]\.id/],
    ['a zero weight', `\n    deployments: [{ id: a, weight: 0 }]`, /deployments\[0\]\.weight/],
    ['an unknown field', `\n    deployments: [{ id: a, api_key: sk-123 }]`, /deployments\[0\]/],
    ['an empty list', `\n    deployments: []`, /deployments/],
    [
      'a strategy without deployments',
      `\n    deployment_strategy: least-busy`,
      /deployment_strategy needs deployments/,
    ],
    [
      'an unknown strategy',
      `\n    deployment_strategy: random\n    deployments: [{ id: a }]`,
      /deployment_strategy/,
    ],
  ])('refuses %s, naming the field', (_, extra, message) => {
    expect(() => parse(model('bad', extra))).toThrow(ModelCatalogError);
    expect(() => parse(model('bad', extra))).toThrow(message);
  });

  it('refuses one own-account deployment id described two ways by two models', () => {
    const text = [
      model('one', `\n    deployments: [{ id: east, base_url: "http://127.0.0.1:1/v1" }]`),
      model('two', `\n    deployments: [{ id: east, base_url: "http://127.0.0.1:2/v1" }]`),
    ];
    expect(() => parse(...text)).toThrow(/models\[1\]\.deployments\[0\]\.id.*another base_url/);
    const same = model(
      'three',
      `\n    deployments: [{ id: east, base_url: "http://127.0.0.1:1/v1" }]`,
    );
    expect(parse(text[0] as string, same).list()).toHaveLength(2);
  });

  it('keeps a model usable while any deployment’s provider account is configured', () => {
    const text = `models:${model(
      'mixed',
      `\n    deployments: [{ id: a, provider: openai }, { id: b, provider: simulator-openai }]`,
    )}${model('remote', `\n    deployments: [{ id: a, provider: openai }]`)}`;
    const catalog = parseModelCatalog(text, { availableProviders: ['simulator-openai'] });
    expect(catalog.isAvailable(defined(catalog.resolve('mixed'), 'catalog.resolve(mixed)'))).toBe(
      true,
    );
    expect(
      catalog.unavailability(defined(catalog.resolve('remote'), 'catalog.resolve(remote)')),
    ).toBe('provider_not_configured');
  });
});
