import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, defined, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { ModelCatalog, type ModelEntry, type ModelEntryInput } from '../catalog/model-catalog';
import { deploymentsOf } from '../catalog/model-deployments';
import { defaultProviderAccounts } from '../config/default-catalog';
import { ProviderRateLimiter } from '../limits/provider-rate-limiter';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import type { ChainLink } from '../resilience/call-model';
import { CircuitBreaker } from '../resilience/circuit-breaker';
import { runModelChain } from '../resilience/run-model-chain';
import { deploymentAccounts } from './deployment-accounts';
import type { DeploymentChooser } from './deployment-picker';

/**
 * The chain runner over a model with two deployments (`east`, `west`: two upstream model names
 * the simulator counts apart, west on a second simulator through its own base URL), with
 * real Redis circuits and rate limits.
 */
type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let east: Simulator;
let west: Simulator;
let registry: ProviderRegistry;
let redis: Redis;
let keys: RedisKeys;
let catalog: ModelCatalog;

const base = (id: string, extra: Partial<ModelEntryInput>): ModelEntryInput => ({
  id,
  provider: 'simulator-openai',
  upstream_model: 'sim-dep-east',
  tier: 'fast',
  context_window: 100_000,
  max_output_tokens: 1000,
  pricing: { input: 1, output: 1, cached_input: 1 },
  expected_latency_ms: 100,
  ...extra,
});
const policy = { maxRetriesPerModel: 0, baseDelayMs: 10, maxDelayMs: 40, maxInlineWaitMs: 2000 };
const request = { messages: [{ role: 'user' as const, content: 'echo: hi' }], maxTokens: 20 };

/** Tries deployments in catalog order, so each test knows which one is asked first. */
const inOrder: DeploymentChooser = {
  order: async (entry) => deploymentsOf(entry),
  track: () => () => undefined,
};

function link(id: string): ChainLink {
  const entry: ModelEntry = defined(catalog.resolve(id), 'catalog.resolve(id)');
  const modelFor = (deployment: ReturnType<typeof deploymentsOf>[number]) =>
    registry.languageModel(deployment.account, deployment.upstream_model);
  const first = defined(deploymentsOf(entry)[0], 'deploymentsOf(entry)[0]');
  return { entry, deployment: first, model: modelFor(first), modelFor };
}

beforeAll(async () => {
  east = await startSimulator();
  west = await startSimulator();
  catalog = new ModelCatalog([
    base('spread', {
      deployments: [
        { id: 'east' },
        { id: 'west', upstream_model: 'sim-dep-west', base_url: `${west.url}/v1` },
      ],
    }),
    base('backup', { upstream_model: 'sim-backup' }),
    base('queued', {
      upstream_model: 'sim-dep-q-a',
      rate_limits: { rpm: 1, window_ms: 1000 },
      deployments: [{ id: 'a' }, { id: 'b', upstream_model: 'sim-dep-q-b' }],
    }),
    base('limited', {
      upstream_model: 'sim-dep-lim-a',
      rate_limits: { rpm: 1 },
      deployments: [{ id: 'a' }, { id: 'b', upstream_model: 'sim-dep-lim-b' }],
    }),
  ]);
  const accounts = defaultProviderAccounts({ simulatorUrl: east.url, timeoutMs: 5000 });
  registry = createProviderRegistry([...accounts, ...deploymentAccounts(catalog, accounts, {})]);
});
afterAll(async () => {
  await registry.close();
  await Promise.all([east.close(), west.close()]);
});
beforeEach(() => {
  east.reset();
  west.reset();
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-deployment-chain'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

describe('a model with two deployments', () => {
  it('retries on the other deployment, at once, before falling back to the next model', async () => {
    east.configure({ models: { 'sim-dep-east': { faults: { status500: 1 } } } });
    const sleeps: number[] = [];
    const outcome = await runModelChain({
      links: [link('spread'), link('backup')],
      request,
      policy,
      chooser: inOrder,
      sleep: async (milliseconds) => {
        sleeps.push(milliseconds);
      },
    });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts).toEqual([
      expect.objectContaining({ model: 'spread', deployment: 'east', outcome: 'error' }),
      expect.objectContaining({ model: 'spread', deployment: 'west', outcome: 'success' }),
    ]);
    // A fresh deployment is tried without backoff; the policy's 0 retries still allow it.
    expect(sleeps).toEqual([]);
    expect(east.counters().byModel['sim-dep-east']).toBe(1);
    expect(west.counters().byModel['sim-dep-west']).toBe(1);
    expect(east.counters().byModel['sim-backup']).toBeUndefined();
  });

  it('falls back to the next model only once every deployment failed', async () => {
    east.configure({ models: { 'sim-dep-east': { faults: { status500: 1 } } } });
    west.configure({
      models: { 'sim-dep-west': { faults: { status503: 1, retryAfterSeconds: 0 } } },
    });
    const outcome = await runModelChain({
      links: [link('spread'), link('backup')],
      request,
      policy,
      chooser: inOrder,
      sleep: async () => undefined,
    });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts.map((attempt) => [attempt.model, attempt.deployment ?? '-'])).toEqual([
      ['spread', 'east'],
      ['spread', 'west'],
      ['backup', '-'],
    ]);
  });

  it('opens only the failing deployment’s circuit, and then skips it', async () => {
    east.configure({ models: { 'sim-dep-east': { faults: { status500: 1 } } } });
    const breaker = new CircuitBreaker(redis, keys, { consecutiveFailures: 2 });
    for (let index = 0; index < 2; index += 1) {
      await runModelChain({ links: [link('spread')], request, policy, breaker, chooser: inOrder });
    }
    const states = await breaker.getCircuitStates();
    expect(states).toEqual([
      expect.objectContaining({ model: 'sim-dep-east@east', state: 'open' }),
      expect.objectContaining({ model: 'sim-dep-west@west', state: 'closed' }),
    ]);
    const before = east.counters().total;
    const outcome = await runModelChain({
      links: [link('spread')],
      request,
      policy,
      breaker,
      chooser: inOrder,
    });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts).toEqual([
      expect.objectContaining({
        deployment: 'east',
        outcome: 'skipped',
        error_code: 'circuit_open',
      }),
      expect.objectContaining({ deployment: 'west', outcome: 'success' }),
    ]);
    expect(east.counters().total).toBe(before);
  });

  it('pauses only the deployment that answered 429, for every later call', async () => {
    east.configure({
      models: { 'sim-dep-east': { faults: { status429: 1, retryAfterSeconds: 30 } } },
    });
    const limiter = new ProviderRateLimiter(redis, keys, catalog);
    const gate = limiter.gateFor({ inputTokens: 10, maxTokens: 20 });
    const first = await runModelChain({
      links: [link('spread')],
      request,
      policy,
      gate,
      chooser: inOrder,
    });
    expect(first.kind).toBe('success');
    expect(first.attempts.map((attempt) => attempt.deployment)).toEqual(['east', 'west']);
    const [eastDeployment, westDeployment] = deploymentsOf(
      defined(catalog.resolve('spread'), 'catalog.resolve(spread)'),
    );
    expect(
      await redis.pttl(
        keys.ratePause('simulator-openai', defined(eastDeployment, 'eastDeployment').stateModel),
      ),
    ).toBeGreaterThan(20_000);
    expect(
      await redis.exists(
        keys.ratePause(
          defined(westDeployment, 'westDeployment').account,
          defined(westDeployment, 'westDeployment').stateModel,
        ),
      ),
    ).toBe(0);
    // The paused deployment is not called again: the next call goes straight to west.
    const second = await runModelChain({
      links: [link('spread')],
      request,
      policy,
      gate,
      chooser: inOrder,
    });
    expect(second.kind).toBe('success');
    expect(second.attempts.map((attempt) => attempt.deployment)).toEqual(['west']);
    expect(east.counters().byModel['sim-dep-east']).toBe(1);
    expect(west.counters().byModel['sim-dep-west']).toBe(2);
  });

  it('parks the job when every deployment is paused and no other model is left', async () => {
    east.configure({
      models: { 'sim-dep-east': { faults: { status429: 1, retryAfterSeconds: 30 } } },
    });
    west.configure({
      models: { 'sim-dep-west': { faults: { status429: 1, retryAfterSeconds: 10 } } },
    });
    const limiter = new ProviderRateLimiter(redis, keys, catalog);
    const gate = limiter.gateFor({ inputTokens: 10, maxTokens: 20 });
    const outcome = await runModelChain({
      links: [link('spread')],
      request,
      policy: { ...policy, maxRetriesPerModel: 2 },
      gate,
      chooser: inOrder,
      sleep: async () => undefined,
    });
    expect(outcome.attempts.map((attempt) => attempt.deployment)).toEqual(['east', 'west']);
    expect(outcome.kind).toBe('wait');
    if (outcome.kind !== 'wait') return;
    // West's Retry-After, the shorter of the two: no call is made meanwhile.
    expect(outcome.delayMs).toBeGreaterThanOrEqual(9_000);
    expect(outcome.delayMs).toBeLessThanOrEqual(12_000);
    expect(east.counters().total + west.counters().total).toBe(2);
  });

  it('moves on from a full deployment without taking its place, and waits on one only', async () => {
    const limiter = new ProviderRateLimiter(redis, keys, catalog);
    const gate = limiter.gateFor({ inputTokens: 10, maxTokens: 20 });
    const run = () =>
      runModelChain({ links: [link('limited')], request, policy, gate, chooser: inOrder });
    const [a, b] = deploymentsOf(
      defined(catalog.resolve('limited'), 'catalog.resolve(limited)'),
    ).map((deployment) =>
      limiter.bucketsOf(
        defined(catalog.resolve('limited'), 'catalog.resolve(limited)'),
        deployment,
      ),
    );
    const scheduled = async () =>
      Promise.all(
        [a, b].map(async (buckets) =>
          redis.hget(defined(defined(buckets, 'buckets')[0], 'first bucket').tokens, '#next'),
        ),
      );

    expect((await run()).attempts.map((attempt) => attempt.deployment)).toEqual(['a']);
    // `a` is full for the minute: the call goes to `b`, and `a`'s queue of waiters is untouched.
    expect((await run()).attempts.map((attempt) => attempt.deployment)).toEqual(['b']);
    expect(await scheduled()).toEqual([null, null]);
    // Both full: the call waits for one of them, and takes one place in one schedule.
    const third = await run();
    expect(third.kind).toBe('wait');
    if (third.kind === 'wait') {
      expect(third.throttle).toBe('rpm');
      // It comes back to the deployment it queued at.
      expect(['a', 'b']).toContain(third.resume.deployment);
    }
    expect((await scheduled()).filter((value) => value !== null)).toHaveLength(1);
  });

  it('tries the other deployments again when the one it waited on fails, before the next model', async () => {
    // Waits of up to a second are slept inline, so the whole story runs in one chain run.
    const limiter = new ProviderRateLimiter(redis, keys, catalog, { maxSleepMs: 3000 });
    const gate = limiter.gateFor({ inputTokens: 10, maxTokens: 20 });
    const run = () =>
      runModelChain({
        links: [link('queued'), link('backup')],
        request,
        policy,
        gate,
        chooser: inOrder,
      });
    expect((await run()).attempts.map((attempt) => attempt.deployment)).toEqual(['a']);
    // `b` fills up later than `a`, so `a` is the one that frees up first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await run()).attempts.map((attempt) => attempt.deployment)).toEqual(['b']);
    east.configure({ models: { 'sim-dep-q-a': { faults: { status500: 1 } } } });

    // Both full: the call waits at `a`, which then fails; `b` (full only) serves it.
    const outcome = await run();
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts).toEqual([
      expect.objectContaining({ model: 'queued', deployment: 'a', outcome: 'error' }),
      expect.objectContaining({ model: 'queued', deployment: 'b', outcome: 'success' }),
    ]);
    expect(east.counters().byModel['sim-backup']).toBeUndefined();
  });

  it('moves a parked call whose deployment then fails to the model’s other deployment, not the next model', async () => {
    west.configure({ models: { 'sim-dep-west': { faults: { status500: 1 } } } });
    const outcome = await runModelChain({
      links: [link('spread'), link('backup')],
      request,
      policy,
      chooser: inOrder,
      resume: { model: 'spread', retry: 0, deployment: 'west' },
      sleep: async () => undefined,
    });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts).toEqual([
      expect.objectContaining({ model: 'spread', deployment: 'west', outcome: 'error' }),
      expect.objectContaining({ model: 'spread', deployment: 'east', outcome: 'success' }),
    ]);
    expect(east.counters().byModel['sim-backup']).toBeUndefined();
  });

  it('resumes a parked call at the deployment it queued at', async () => {
    const outcome = await runModelChain({
      links: [link('spread')],
      request,
      policy,
      chooser: inOrder,
      resume: { model: 'spread', retry: 0, deployment: 'west' },
    });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts.map((attempt) => attempt.deployment)).toEqual(['west']);
  });
});
