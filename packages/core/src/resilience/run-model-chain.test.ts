import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { defaultProviderAccounts } from '../config/default-catalog';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import type { ChainLink } from './call-model';
import { CircuitBreaker } from './circuit-breaker';
import { runHedged } from './run-hedged';
import { notBeforeOf, runModelChain } from './run-model-chain';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let registry: ProviderRegistry;
const catalog = loadModelCatalog();
const policy = { maxRetriesPerModel: 2, baseDelayMs: 10, maxDelayMs: 40, maxInlineWaitMs: 2000 };
const request = { messages: [{ role: 'user' as const, content: 'echo: hi' }], maxTokens: 20 };

function link(id: string): ChainLink {
  const entry = catalog.resolve(id);
  if (!entry) throw new Error(id);
  return { entry, model: registry.languageModel(entry.provider, entry.upstream_model) };
}

/** Per-call simulator headers: call number → x-sim-* headers. */
function faults(byCall: Record<number, Record<string, string>>) {
  return (callNumber: number) => ({
    'x-llmq-attempt': String(callNumber),
    ...(byCall[callNumber] ?? {}),
  });
}

beforeAll(async () => {
  simulator = await startSimulator();
  registry = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 5000 }),
  );
});
afterAll(async () => {
  await registry.close();
  await simulator.close();
});
beforeEach(() => simulator.reset());

describe('fallback chain over the simulator', () => {
  it('waits at least the 429 retry-after before calling the model again', async () => {
    const waits: number[] = [];
    const outcome = await runModelChain({
      links: [link('sim-gpt-fast')],
      request,
      headers: faults({ 1: { 'x-sim-fault': '429', 'x-sim-retry-after': '1.5' } }),
      policy,
      sleep: async (milliseconds) => {
        waits.push(milliseconds);
      },
    });
    expect(outcome.kind).toBe('success');
    expect(waits).toEqual([1500]);
    expect(outcome.attempts).toEqual([
      expect.objectContaining({
        outcome: 'error',
        error_code: 'rate_limited',
        status_code: 429,
        retry_after_ms: 1500,
      }),
      expect.objectContaining({
        outcome: 'success',
        model: 'sim-gpt-fast',
        provider: 'simulator-openai',
      }),
    ]);
    expect(outcome.attempts[1]?.cost_usd).toBeGreaterThan(0);
  });

  it('does not call a model again before the retry-after an earlier call of the job got', async () => {
    const earlier = [
      {
        provider: 'simulator-openai',
        model: 'sim-gpt-fast',
        outcome: 'error' as const,
        error_code: 'rate_limited' as const,
        retry_after_ms: 1000,
        started_at: 10_000,
        latency_ms: 5,
        cost_usd: 0,
      },
    ];
    expect(notBeforeOf(earlier)).toEqual({ 'sim-gpt-fast': 11_005 });
    const waits: number[] = [];
    const outcome = await runModelChain({
      links: [link('sim-gpt-fast')],
      request,
      policy,
      notBefore: notBeforeOf(earlier),
      now: () => 10_400,
      sleep: async (milliseconds) => {
        waits.push(milliseconds);
      },
    });
    expect(outcome.kind).toBe('success');
    expect(waits).toEqual([605]);
    // Too long to wait inline: the next model takes over at once.
    const moved = await runModelChain({
      links: [link('sim-gpt-fast'), link('sim-claude-fast')],
      request,
      policy: { ...policy, maxInlineWaitMs: 100 },
      notBefore: notBeforeOf(earlier),
      now: () => 10_400,
      sleep: async () => undefined,
    });
    expect(moved.attempts.map((attempt) => attempt.model)).toEqual(['sim-claude-fast']);
  });

  it('fails at once on a 400: no retry, no fallback', async () => {
    const outcome = await runModelChain({
      links: [link('sim-gpt-fast'), link('sim-claude-fast')],
      request,
      headers: faults({ 1: { 'x-sim-fault': '400' } }),
      policy,
      sleep: async () => undefined,
    });
    expect(outcome).toMatchObject({ kind: 'failed', retryable: false });
    expect(outcome.attempts).toHaveLength(1);
    expect(simulator.counters().total).toBe(1);
  });

  it('moves to the next model, across wire formats, after the retries of a failing one', async () => {
    const outcome = await runModelChain({
      links: [link('sim-gpt-fast'), link('sim-claude-fast')],
      request,
      headers: faults({
        1: { 'x-sim-fault': '500' },
        2: { 'x-sim-fault': '503' },
        3: { 'x-sim-fault': '500' },
      }),
      policy,
      sleep: async () => undefined,
    });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts.map((attempt) => `${attempt.model}:${attempt.outcome}`)).toEqual([
      'sim-gpt-fast:error',
      'sim-gpt-fast:error',
      'sim-gpt-fast:error',
      'sim-claude-fast:success',
    ]);
    expect(outcome.attempts[3]?.provider).toBe('simulator-anthropic');
  });

  it('asks to park the job when the last model wants a longer wait than the inline limit', async () => {
    const outcome = await runModelChain({
      links: [link('sim-gpt-fast')],
      request,
      headers: faults({ 1: { 'x-sim-fault': '429', 'x-sim-retry-after': '30' } }),
      policy,
      sleep: async () => undefined,
    });
    expect(outcome).toMatchObject({
      kind: 'wait',
      delayMs: 30_000,
      resume: { model: 'sim-gpt-fast', retry: 1 },
    });
  });

  it('skips a model whose circuit is open without calling it', async () => {
    const redis = new Redis(testRedisUrl());
    const keys = new RedisKeys(uniquePrefix('test-chain'));
    try {
      const breaker = new CircuitBreaker(redis, keys, { consecutiveFailures: 1 });
      await breaker.record('simulator-openai', 'sim-gpt-fast', 'failure', false);
      const outcome = await runModelChain({
        links: [link('sim-gpt-fast'), link('sim-local-llama')],
        request,
        breaker,
        policy,
        sleep: async () => undefined,
      });
      expect(outcome.kind).toBe('success');
      expect(outcome.attempts).toEqual([
        expect.objectContaining({
          model: 'sim-gpt-fast',
          outcome: 'skipped',
          error_code: 'circuit_open',
        }),
        expect.objectContaining({ model: 'sim-local-llama', outcome: 'success' }),
      ]);
      expect(simulator.counters().byModel['sim-gpt-fast'] ?? 0).toBe(0);
    } finally {
      await cleanupPrefix(redis, keys.prefix);
      await redis.quit();
    }
  });
});

describe('hedging over the simulator', () => {
  it('returns the faster answer, aborts the slower call and records both costs', async () => {
    const outcome = await runHedged({
      primary: link('sim-gpt-strong'),
      secondary: link('sim-claude-fast'),
      afterMs: 0,
      request,
      headers: faults({ 1: { 'x-sim-latency-ms': '3000' } }),
      inputTokens: 12,
    });
    expect(outcome.kind).toBe('success');
    expect(outcome.kind === 'success' && outcome.entry.id).toBe('sim-claude-fast');
    const [primary, secondary] = outcome.attempts;
    expect(primary).toMatchObject({
      model: 'sim-gpt-strong',
      outcome: 'aborted',
      hedge: 'primary',
      cost_estimated: true,
    });
    expect(primary?.cost_usd).toBeGreaterThan(0);
    expect(primary?.latency_ms).toBeLessThan(2000);
    expect(secondary).toMatchObject({
      model: 'sim-claude-fast',
      outcome: 'success',
      hedge: 'secondary',
    });
    expect(secondary?.cost_usd).toBeGreaterThan(0);
  });

  it('sends the second request only when the first misses its latency budget', async () => {
    const quick = await runHedged({
      primary: link('sim-gpt-fast'),
      secondary: link('sim-claude-fast'),
      afterMs: 1000,
      request,
      inputTokens: 12,
    });
    expect(quick.attempts).toHaveLength(1);
    expect(simulator.counters().total).toBe(1);
    const slow = await runHedged({
      primary: link('sim-gpt-fast'),
      secondary: link('sim-claude-fast'),
      afterMs: 200,
      request,
      headers: faults({ 1: { 'x-sim-latency-ms': '3000' } }),
      inputTokens: 12,
    });
    expect(slow.kind === 'success' && slow.entry.id).toBe('sim-claude-fast');
    expect(slow.attempts.map((attempt) => attempt.outcome)).toEqual(['aborted', 'success']);
  });
});
