import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { ModelCatalog, type ModelEntryInput } from '../catalog/model-catalog';
import { deploymentsOf, type ModelDeployment } from '../catalog/model-deployments';
import { defaultProviderAccounts } from '../config/default-catalog';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import { CallJournal } from '../resilience/call-journal';
import { type ChainLink, callModel, chatCall } from '../resilience/call-model';
import { CircuitBreaker } from '../resilience/circuit-breaker';
import { runModelChain } from '../resilience/run-model-chain';
import { ProviderRateLimiter } from './provider-rate-limiter';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let registry: ProviderRegistry;
let redis: Redis;
let keys: RedisKeys;

const entry = (id: string, upstream: string, extra: Partial<ModelEntryInput> = {}) => ({
  id,
  provider: 'simulator-openai' as const,
  upstream_model: upstream,
  tier: 'fast' as const,
  context_window: 100_000,
  max_output_tokens: 1000,
  pricing: { input: 1, output: 1, cached_input: 1 },
  expected_latency_ms: 100,
  ...extra,
});
const catalog = new ModelCatalog([
  entry('limited', 'sim-limited', { rate_limits: { rpm: 1 } }),
  entry('plain', 'sim-plain'),
  entry('spare', 'sim-spare'),
]);
const policy = { maxRetriesPerModel: 2, baseDelayMs: 10, maxDelayMs: 40, maxInlineWaitMs: 2000 };
const request = { messages: [{ role: 'user' as const, content: 'echo: hi' }], maxTokens: 20 };
const noSleep = async () => undefined;

function link(id: string): ChainLink {
  const found = catalog.resolve(id);
  if (!found) throw new Error(id);
  return { entry: found, model: registry.languageModel(found.provider, found.upstream_model) };
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
beforeEach(() => {
  simulator.reset();
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-rate-chain'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

describe('fallback chain behind the provider rate limiter', () => {
  it('asks to park a job whose model is out of capacity, without calling it', async () => {
    const limiter = new ProviderRateLimiter(redis, keys, catalog, { windowMarginMs: 0 });
    const gate = () => limiter.gateFor({ inputTokens: 10, maxTokens: 20 });
    const first = await runModelChain({ links: [link('limited')], request, policy, gate: gate() });
    expect(first.kind).toBe('success');
    const second = await runModelChain({
      links: [link('limited'), link('spare')],
      request,
      policy,
      gate: gate(),
      sleep: noSleep,
    });
    // Out of capacity is not a failure: no fallback, no attempt, a wait for this model.
    expect(second).toMatchObject({
      kind: 'wait',
      throttle: 'rpm',
      resume: { model: 'limited', retry: 0 },
      attempts: [],
    });
    if (second.kind === 'wait') expect(second.delayMs).toBeGreaterThan(50_000);
    expect(simulator.counters().total).toBe(1);
  });

  it("a 429's retry-after pauses the model for another worker's jobs too", async () => {
    const limiter = new ProviderRateLimiter(redis, keys, catalog, { windowMarginMs: 0 });
    const otherConnection = new Redis(testRedisUrl());
    try {
      const otherWorker = new ProviderRateLimiter(otherConnection, keys, catalog);
      const hit = await runModelChain({
        links: [link('plain')],
        request,
        headers: () => ({ 'x-sim-fault': '429', 'x-sim-retry-after': '30' }),
        policy: { ...policy, maxRetriesPerModel: 0 },
        gate: limiter.gateFor({ inputTokens: 10 }),
        sleep: noSleep,
      });
      expect(hit.kind).toBe('failed');
      // The other worker does not call the paused model: it falls back, or parks.
      const fallback = await runModelChain({
        links: [link('plain'), link('spare')],
        request,
        policy,
        gate: otherWorker.gateFor({ inputTokens: 10 }),
      });
      expect(fallback).toMatchObject({ kind: 'success', entry: { id: 'spare' } });
      const parked = await runModelChain({
        links: [link('plain')],
        request,
        policy,
        gate: otherWorker.gateFor({ inputTokens: 10 }),
      });
      expect(parked).toMatchObject({ kind: 'wait', throttle: 'retry_after', attempts: [] });
      if (parked.kind === 'wait') expect(parked.delayMs).toBeGreaterThan(25_000);
      const byModel = simulator.counters().byModel;
      expect(byModel['sim-plain']).toBe(1);
    } finally {
      await otherConnection.quit();
    }
  });
});

describe("a model without limits: its pause is read with the breaker's acquire", () => {
  const entryOf = (id: string) => link(id).entry;

  it("another worker's pause stops the very next call, and it takes no probe slot and leaves no record", async () => {
    const otherConnection = new Redis(testRedisUrl());
    try {
      const otherWorker = new ProviderRateLimiter(otherConnection, keys, catalog);
      const limiter = new ProviderRateLimiter(redis, keys, catalog);
      // A circuit whose cooldown has passed: the next acquire would take its probe slot.
      const breaker = new CircuitBreaker(redis, keys, { consecutiveFailures: 1, cooldownMs: 1 });
      const { account, stateModel } = deploymentsOf(entryOf('plain'))[0] as ModelDeployment;
      await breaker.record(account, stateModel, 'failure', false);
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await otherWorker.pause(entryOf('plain'), 30_000, 'retry_after')).toBe(true);

      const journal = new CallJournal(redis, keys);
      const outcome = await callModel(chatCall(link('plain'), request), {
        breaker,
        gate: limiter.gateFor({ inputTokens: 10 }),
        recorder: journal.forJob('job_paused', 10),
      });
      expect(outcome).toMatchObject({
        ok: false,
        called: false,
        throttled: { reason: 'retry_after' },
        attempt: { outcome: 'skipped', error_code: 'rate_limited' },
      });
      if (!outcome.ok) expect(outcome.throttled?.waitMs).toBeGreaterThan(25_000);
      expect(simulator.counters().total).toBe(0);
      expect(await journal.interrupted('job_paused')).toEqual([]);
      const [circuit] = await breaker.getCircuitStates();
      expect(circuit).toMatchObject({ state: 'open' });
    } finally {
      await otherConnection.quit();
    }
  });

  it('a short pause found by the acquire is slept through, then the call is made', async () => {
    const slept: number[] = [];
    const sleep = async (milliseconds: number) => {
      slept.push(milliseconds);
      await new Promise((resolve) => setTimeout(resolve, milliseconds));
    };
    const limiter = new ProviderRateLimiter(redis, keys, catalog, { maxSleepMs: 1000 }, {}, sleep);
    expect(await limiter.pause(entryOf('plain'), 150, 'retry_after')).toBe(true);
    const outcome = await callModel(chatCall(link('plain'), request), {
      breaker: new CircuitBreaker(redis, keys),
      gate: limiter.gateFor({ inputTokens: 10 }),
    });
    expect(outcome.ok).toBe(true);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(0);
    expect(slept[0]).toBeLessThanOrEqual(150);
    expect(simulator.counters().total).toBe(1);
  });

  it('with no breaker to read it, the gate reads the pause itself', async () => {
    const limiter = new ProviderRateLimiter(redis, keys, catalog);
    expect(await limiter.pause(entryOf('plain'), 30_000, 'retry_after')).toBe(true);
    const outcome = await callModel(chatCall(link('plain'), request), {
      gate: limiter.gateFor({ inputTokens: 10 }),
    });
    expect(outcome).toMatchObject({
      ok: false,
      called: false,
      throttled: { reason: 'retry_after' },
    });
    expect(simulator.counters().total).toBe(0);
  });
});
