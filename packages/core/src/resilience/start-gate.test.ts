import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, defined, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { ModelCatalog } from '../catalog/model-catalog';
import { defaultProviderAccounts } from '../config/default-catalog';
import { ProviderRateLimiter } from '../limits/provider-rate-limiter';
import type { GenerateRequest, LanguageModel } from '../providers/language-model';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import { CallJournal } from './call-journal';
import { callModel, chatCall } from './call-model';
import { CircuitBreaker } from './circuit-breaker';

// A run whose job-store start was sent without waiting (the worker's first runs): its calls
// are gated on the job's record, and what the start said decides whether anything is called,
// recorded or taken.

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let registry: ProviderRegistry;
let redis: Redis;
let keys: RedisKeys;
let journal: CallJournal;
const catalog = loadModelCatalog();
const request: GenerateRequest = { messages: [{ role: 'user', content: 'echo: hi' }] };
const entry = catalog.resolve('sim-gpt-fast');

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
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-start-gate'));
  journal = new CallJournal(redis, keys);
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

/** The catalog model, calling for real, counting its calls. */
function countedModel() {
  const known = defined(entry, 'sim-gpt-fast');
  const real = registry.languageModel(known.provider, known.upstream_model);
  const counted = { calls: 0 };
  const model: LanguageModel = {
    ...real,
    generate: (callRequest) => {
      counted.calls += 1;
      return real.generate(callRequest);
    },
  };
  return { model, counted };
}

describe("the breaker's acquire with a start gate", () => {
  it('takes nothing and records nothing while the job record does not say active', async () => {
    const breaker = new CircuitBreaker(redis, keys, { consecutiveFailures: 1, cooldownMs: 0 });
    // A circuit past its cooldown: whoever acquires next takes the half-open probe slot.
    await breaker.record('p', 'm', 'failure', false);
    await redis.hset(keys.job('job_1'), 'status', 'queued');
    const recorder = journal.forJob('job_1', 10, new Promise<boolean>(() => undefined));
    const gated = recorder.openCall(defined(entry, 'sim-gpt-fast'), 1_000);
    expect(gated.gate).toBe(keys.job('job_1'));
    expect(await breaker.acquire('p', 'm', Date.now(), undefined, gated)).toEqual({
      allowed: false,
      state: 'gated',
    });
    expect(await journal.interrupted('job_1')).toEqual([]);
    // The probe slot is still free, and the record is written once the record says active.
    await redis.hset(keys.job('job_1'), 'status', 'active');
    expect(await breaker.acquire('p', 'm', Date.now(), undefined, gated)).toEqual({
      allowed: true,
      probe: true,
    });
    expect(await journal.interrupted('job_1')).toHaveLength(1);
  });

  it('reads a hold flag given with the gate, after the gate', async () => {
    const breaker = new CircuitBreaker(redis, keys);
    await redis.hset(keys.job('job_2'), 'status', 'active');
    await redis.set(keys.ratePause('p', 'm'), 'rpm', 'PX', 5_000);
    const recorder = journal.forJob('job_2', 10, new Promise<boolean>(() => undefined));
    const permit = await breaker.acquire(
      'p',
      'm',
      Date.now(),
      keys.ratePause('p', 'm'),
      recorder.openCall(defined(entry, 'sim-gpt-fast'), 1_000),
    );
    expect(permit).toMatchObject({ allowed: false, state: 'held', holdValue: 'rpm' });
    expect(await journal.interrupted('job_2')).toEqual([]);
  });
});

describe('a call of a run whose start is still on its way', () => {
  it('is not made, recorded or counted when the start refused the run', async () => {
    const { model, counted } = countedModel();
    await redis.hset(keys.job('job_3'), 'status', 'cancelled');
    const breaker = new CircuitBreaker(redis, keys);
    const call = callModel(chatCall({ entry: defined(entry, 'sim-gpt-fast'), model }, request), {
      breaker,
      recorder: journal.forJob('job_3', 10, Promise.resolve(false)),
    });
    await expect(call).rejects.toMatchObject({ code: 'job_not_started' });
    expect(counted.calls).toBe(0);
    expect(await journal.interrupted('job_3')).toEqual([]);
  });

  it('is asked again, and made once, when the start let the run in after the gate looked', async () => {
    const { model, counted } = countedModel();
    await redis.hset(keys.job('job_4'), 'status', 'queued');
    let letIn: (started: boolean) => void = () => undefined;
    const started = new Promise<boolean>((resolve) => {
      letIn = resolve;
    });
    const breaker = new CircuitBreaker(redis, keys);
    const acquire = jest.spyOn(breaker, 'acquire');
    const call = callModel(chatCall({ entry: defined(entry, 'sim-gpt-fast'), model }, request), {
      breaker,
      recorder: journal.forJob('job_4', 10, started),
    });
    // The gate found the record queued; the start now lets the run in.
    await waitForCalls(acquire, 1);
    await redis.hset(keys.job('job_4'), 'status', 'active');
    letIn(true);
    const outcome = await call;
    expect(outcome.ok).toBe(true);
    expect(counted.calls).toBe(1);
    expect(acquire).toHaveBeenCalledTimes(2);
    expect(acquire.mock.calls[1]?.[4]?.gate).toBeUndefined();
    expect(await journal.interrupted('job_4')).toHaveLength(1);
  });

  it('waits for the start before its record when there is no breaker', async () => {
    const { model, counted } = countedModel();
    const call = callModel(chatCall({ entry: defined(entry, 'sim-gpt-fast'), model }, request), {
      recorder: journal.forJob('job_5', 10, Promise.resolve(false)),
    });
    await expect(call).rejects.toMatchObject({ code: 'job_not_started' });
    expect(counted.calls).toBe(0);
    expect(await journal.interrupted('job_5')).toEqual([]);
  });
});

describe('a gated acquire let through whose start then failed', () => {
  it('leaves no record of a call it never made', async () => {
    const { model, counted } = countedModel();
    // The gate found the record active (an earlier start's), but this run's start failed: the
    // start decides, so the call is not made, and a record of it would be billed by a rerun.
    await redis.hset(keys.job('job_8'), 'status', 'active');
    const breaker = new CircuitBreaker(redis, keys);
    const call = callModel(chatCall({ entry: defined(entry, 'sim-gpt-fast'), model }, request), {
      breaker,
      recorder: journal.forJob('job_8', 10, Promise.reject(new Error('the start was lost'))),
    });
    await expect(call).rejects.toThrow('the start was lost');
    expect(counted.calls).toBe(0);
    expect(await journal.interrupted('job_8')).toEqual([]);
  });
});

describe("a refused run's rate-limit reservation", () => {
  it('is given back: the one request a minute the model allows is still there', async () => {
    const { model, counted } = countedModel();
    const limited = new ModelCatalog([
      {
        id: 'sim-gpt-fast',
        provider: 'simulator-openai',
        upstream_model: 'sim-gpt-fast',
        tier: 'fast',
        context_window: 100_000,
        max_output_tokens: 1000,
        pricing: { input: 1, output: 1, cached_input: 1 },
        expected_latency_ms: 100,
        rate_limits: { rpm: 1 },
      },
    ]);
    const limitedEntry = defined(limited.resolve('sim-gpt-fast'), 'sim-gpt-fast');
    const limiter = new ProviderRateLimiter(redis, keys, limited, {
      windowMarginMs: 0,
      arrivalAllowanceMs: 0,
    });
    const breaker = new CircuitBreaker(redis, keys);
    const guards = (jobId: string, started?: Promise<boolean>) => ({
      breaker,
      gate: limiter.gateFor({ inputTokens: 10 }),
      tryOnly: true,
      recorder: journal.forJob(jobId, 10, started),
    });
    // Cancelled while queued: its first run's start refuses it after its reservation was taken.
    await redis.hset(keys.job('job_6'), 'status', 'cancelled');
    const refused = callModel(
      chatCall({ entry: limitedEntry, model }, request),
      guards('job_6', Promise.resolve(false)),
    );
    await expect(refused).rejects.toMatchObject({ code: 'job_not_started' });
    // The minute's one request was not spent on it: the next job's call is let through.
    const next = await callModel(
      chatCall({ entry: limitedEntry, model }, request),
      guards('job_7'),
    );
    expect(next.ok).toBe(true);
    expect(counted.calls).toBe(1);
  });
});

async function waitForCalls(spy: jest.SpyInstance, count: number) {
  for (let tries = 0; spy.mock.calls.length < count || tries < 5; tries += 1) {
    if (tries > 200) throw new Error(`acquire was asked ${spy.mock.calls.length} times`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
