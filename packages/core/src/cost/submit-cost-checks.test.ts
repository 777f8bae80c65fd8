import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { ModelCatalog } from '../catalog/model-catalog';
import { costOfUsage } from '../catalog/model-pricing';
import { ProviderRateLimiter } from '../limits/provider-rate-limiter';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import { RedisKeys } from '../redis/redis-keys';
import { routeRequest } from '../routing/route-request';
import { estimateInputTokens } from '../tokens/estimate-input-tokens';
import { BudgetStore } from './budget-store';
import { toNanoUsd } from './money';
import { optimizeRequest, reserveJobBudget } from './submit-cost-checks';

const claude = {
  id: 'small-claude',
  provider: 'simulator-anthropic' as const,
  upstream_model: 'sim-claude-thinking',
  tier: 'strong' as const,
  context_window: 12_000,
  max_output_tokens: 8000,
  pricing: { input: 3, output: 15, cached_input: 0.3 },
  capabilities: { reasoning: true },
  expected_latency_ms: 2000,
};
const catalog = new ModelCatalog([claude]);
const entry = catalog.resolve('small-claude');
const turn = (index: number) => [
  { role: 'user' as const, content: `question ${index}: ${'lorem ipsum '.repeat(60)}` },
  { role: 'assistant' as const, content: `answer ${index}: ${'dolor sit amet '.repeat(60)}` },
];
const messages = [
  ...Array.from({ length: 40 }, (_, index) => turn(index)).flat(),
  { role: 'user' as const, content: 'And the latest question?' },
];

describe('optimizeRequest', () => {
  it.each([
    ['no limit (Claude sends its 4096 default)', {}, 4096],
    [
      'an effort and no limit (the thinking on top, within the most output)',
      { reasoning: { effort: 'high' as const } },
      8000,
    ],
    ['a limit', { maxTokens: 600 }, 600],
  ])('trims history to leave the output a call may bill: %s', (_, options, reserved) => {
    expect(entry).toBeDefined();
    if (!entry) return;
    expect(maxOutputTokensOf(entry, options)).toBe(reserved);
    const optimized = optimizeRequest(
      catalog,
      'small-claude',
      { messages, ...options },
      {
        trim_history: true,
      },
    );
    const kept = estimateInputTokens(optimized.request.messages);
    expect(optimized.report?.messages_dropped).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(claude.context_window - reserved);
  });
});

describe("an Anthropic account's own maxTokensDefault", () => {
  // The account sends max_tokens 1000, not 4096, when a request names none.
  const configured = new ModelCatalog([claude], {
    maxTokensDefaults: { 'simulator-anthropic': 1000 },
  });
  const question = [{ role: 'user' as const, content: 'What is a queue?' }];
  let redis: Redis;
  let keys: RedisKeys;
  beforeEach(() => {
    redis = new Redis(testRedisUrl());
    keys = new RedisKeys(uniquePrefix('test-output-default'));
  });
  afterEach(async () => {
    await cleanupPrefix(redis, keys.prefix);
    await redis.quit();
  });

  it('is what the budget and the rate limiter reserve, and what routing fits beside the prompt', async () => {
    const budgets = new BudgetStore(redis, keys, { defaults: { dailyHard: toNanoUsd(10) } });
    const outcome = routeRequest(configured, { model: 'small-claude', messages: question });
    if (!outcome.ok) throw new Error(outcome.message);
    const { decision } = outcome;
    await reserveJobBudget(budgets, configured, {
      tenant: 'tenant-a',
      jobId: 'job-1',
      decision,
      request: { messages: question },
    });
    const worstCase = costOfUsage(claude, {
      inputTokens: decision.input_tokens,
      outputTokens: 1000,
    });
    expect((await budgets.status('tenant-a')).reserved).toBe(toNanoUsd(worstCase));
    const limiter = new ProviderRateLimiter(redis, keys, configured, {});
    const entry = configured.resolve('small-claude');
    expect(entry).toBeDefined();
    if (!entry) return;
    expect(limiter.estimateTokens(entry, { inputTokens: 12 })).toBe(12 + 1000);
    // 10,500 input tokens leave room for 1000 output tokens in the 12,000-token window.
    expect(
      routeRequest(configured, { model: 'small-claude', messages: question, inputTokens: 10_500 })
        .ok,
    ).toBe(true);
    const trimmed = optimizeRequest(
      configured,
      'small-claude',
      { messages },
      { trim_history: true },
    );
    expect(estimateInputTokens(trimmed.request.messages)).toBeGreaterThan(
      claude.context_window - 4096,
    );
  });
});
