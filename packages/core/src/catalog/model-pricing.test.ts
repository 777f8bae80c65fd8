import { loadModelCatalog } from './load-model-catalog';
import { costOfUsage } from './model-pricing';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});

describe('costOfUsage', () => {
  const pricing = { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75, reasoning: 20 };

  it('prices cache reads, cache writes and reasoning tokens at their own catalog prices', () => {
    // 1M prompt tokens: 200k read from the cache, 300k written to it, 500k plain.
    // 1M output tokens: 400k of them reasoning.
    const cost = costOfUsage(
      { pricing },
      {
        inputTokens: 1_000_000,
        cachedInputTokens: 200_000,
        cacheWriteInputTokens: 300_000,
        outputTokens: 1_000_000,
        reasoningTokens: 400_000,
      },
    );
    expect(cost).toBeCloseTo(0.5 * 3 + 0.2 * 0.3 + 0.3 * 3.75 + 0.6 * 15 + 0.4 * 20, 8);
  });

  it('prices cache writes as input and reasoning as output when the catalog names no price', () => {
    const plain = { input: 1, output: 5, cached_input: 0.1 };
    expect(
      costOfUsage(
        { pricing: plain },
        {
          inputTokens: 1_000_000,
          cacheWriteInputTokens: 1_000_000,
          outputTokens: 1_000_000,
          reasoningTokens: 1_000_000,
        },
      ),
    ).toBeCloseTo(1 + 5, 8);
  });

  it('prices the 1-hour part of cache writes at cache_write_1h, the rest at cache_write', () => {
    const written = costOfUsage(
      { pricing: { ...pricing, cache_write_1h: 6 } },
      {
        inputTokens: 1_000_000,
        cacheWriteInputTokens: 1_000_000,
        cacheWrite1hInputTokens: 400_000,
        outputTokens: 0,
      },
    );
    expect(written).toBeCloseTo(0.6 * 3.75 + 0.4 * 6, 8);
    // Without a 1-hour price they cost what a write costs; never more than the writes there are.
    const plain = costOfUsage(
      { pricing },
      { inputTokens: 100, cacheWriteInputTokens: 50, cacheWrite1hInputTokens: 80, outputTokens: 0 },
    );
    expect(plain).toBeCloseTo((50 * 3 + 50 * 3.75) / 1_000_000, 12);
  });

  it('reads the 1-hour cache-write price of a Claude model, twice its input price', () => {
    const claude = catalog.resolve('sim-claude-strong');
    expect(claude?.pricing.cache_write_1h).toBe(6);
    const written = costOfUsage(claude as NonNullable<typeof claude>, {
      inputTokens: 1_000_000,
      cacheWriteInputTokens: 1_000_000,
      cacheWrite1hInputTokens: 1_000_000,
      outputTokens: 0,
    });
    expect(written).toBeCloseTo(6, 8);
  });

  it('reads the cache-write price of a Claude model from the catalog file', () => {
    const claude = catalog.resolve('sim-claude-strong');
    expect(claude?.pricing.cache_write).toBe(3.75);
    const written = costOfUsage(claude as NonNullable<typeof claude>, {
      inputTokens: 1_000_000,
      cacheWriteInputTokens: 1_000_000,
      outputTokens: 0,
    });
    expect(written).toBeCloseTo(3.75, 8);
  });
});
