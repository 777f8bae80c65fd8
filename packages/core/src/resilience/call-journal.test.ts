import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { defaultProviderAccounts } from '../config/default-catalog';
import type { GenerateRequest, LanguageModel } from '../providers/language-model';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import type { AttemptRecord } from './attempt-record';
import { CallJournal, withInterruptedCalls } from './call-journal';
import { callModel, chatCall } from './call-model';
import { CircuitBreaker } from './circuit-breaker';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let registry: ProviderRegistry;
let redis: Redis;
let keys: RedisKeys;
let journal: CallJournal;
const catalog = loadModelCatalog();
const request: GenerateRequest = { messages: [{ role: 'user', content: 'echo: hi' }] };

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
  keys = new RedisKeys(uniquePrefix('test-journal'));
  journal = new CallJournal(redis, keys);
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

function entryOf(id: string) {
  const entry = catalog.resolve(id);
  if (!entry) throw new Error(id);
  return entry;
}

it('has the call on record while the provider works on it, until the job has ended', async () => {
  const entry = entryOf('sim-gpt-fast');
  const real = registry.languageModel(entry.provider, entry.upstream_model);
  let seenDuringCall: Record<string, string> = {};
  // Reads the journal from inside the call, when the provider has the request.
  const model: LanguageModel = {
    ...real,
    generate: async (callRequest) => {
      seenDuringCall = await redis.hgetall(keys.jobOpenCalls('job_1'));
      return real.generate(callRequest);
    },
  };
  const outcome = await callModel(chatCall({ entry, model }, request), {
    recorder: journal.forJob('job_1', 120),
  });
  expect(outcome.ok).toBe(true);
  expect(Object.values(seenDuringCall).map((text) => JSON.parse(text))).toEqual([
    expect.objectContaining({
      model: 'sim-gpt-fast',
      outcome: 'interrupted',
      cost_estimated: true,
    }),
  ]);
  // The job has not stored the call yet (its record is still active): the journal stays.
  await redis.hset(keys.job('job_1'), 'status', 'active');
  await expect(journal.closeIfFinished('job_1')).resolves.toBeUndefined();
  expect(await journal.interrupted('job_1')).toHaveLength(1);
  // Its final transition stored the call among its attempts: the journal goes, nothing is late.
  const [call] = await journal.interrupted('job_1');
  await redis.hset(keys.job('job_1'), {
    status: 'completed',
    result: JSON.stringify({ attempts: [{ ...call?.attempt, outcome: 'success' }] }),
  });
  await expect(journal.closeIfFinished('job_1')).resolves.toEqual([]);
  expect(await journal.interrupted('job_1')).toEqual([]);
  expect(await journal.lateCalls('job_1')).toEqual([]);
});

it('keeps no record of a call an open circuit skipped', async () => {
  const entry = entryOf('sim-gpt-fast');
  const model = registry.languageModel(entry.provider, entry.upstream_model);
  const breaker = new CircuitBreaker(redis, keys, { consecutiveFailures: 1 });
  await breaker.record(entry.provider, entry.upstream_model, 'failure', false);
  const outcome = await callModel(chatCall({ entry, model }, request), {
    breaker,
    recorder: journal.forJob('job_2', 120),
  });
  expect(outcome).toMatchObject({ ok: false, called: false });
  expect(outcome.attempt.error_code).toBe('circuit_open');
  // The record went out with the breaker's acquire, and was dropped when it refused.
  expect(await journal.interrupted('job_2')).toEqual([]);
});

it('reports a call that never ended as an interrupted attempt priced at its prompt', async () => {
  const entry = entryOf('sim-gpt-strong');
  // begin without its end: what a worker SIGKILLed mid-call leaves.
  await journal.forJob('job_3', 1_000_000).begin(entry, 1234);
  const [call] = await journal.interrupted('job_3');
  expect(call?.attempt).toEqual({
    provider: entry.provider,
    model: 'sim-gpt-strong',
    outcome: 'interrupted',
    started_at: 1234,
    latency_ms: 0,
    cost_usd: entry.pricing.input,
    cost_estimated: true,
    usage: { input_tokens: 1_000_000, cached_input_tokens: 0, output_tokens: 0 },
  });
});

it('adds only the calls the stored attempts do not hold, each once', async () => {
  const entry = entryOf('sim-gpt-fast');
  await journal.forJob('job_4', 10).begin(entry, 1);
  await journal.forJob('job_4', 10).begin(entry, 2);
  await journal.forJob('job_4', 10).begin(entry, 3);
  const recorded = await journal.interrupted('job_4');
  // The call started at 1 failed and was stored by a run that then parked the job.
  const stored: AttemptRecord = {
    provider: entry.provider,
    model: entry.id,
    outcome: 'error',
    started_at: 1,
    latency_ms: 5,
    cost_usd: 0,
  };
  const once = withInterruptedCalls([stored], recorded);
  expect(once.map((attempt) => [attempt.outcome, attempt.started_at])).toEqual([
    ['error', 1],
    ['interrupted', 2],
    ['interrupted', 3],
  ]);
  // A later run reads the same journal against the attempts now stored: nothing is added twice.
  expect(withInterruptedCalls(once, recorded)).toEqual(once);
});

it('keeps the calls of a run that lost the race to end the job in its late-calls list', async () => {
  const entry = entryOf('sim-gpt-fast');
  // Two runs of one job at once: the winner stored its call (started at 10); the loser's call
  // (started at 20) is in no stored attempt.
  await journal.forJob('job_5', 10).begin(entry, 10);
  await journal.forJob('job_5', 10).begin(entry, 20);
  const [winner] = await journal.interrupted('job_5');
  await redis.hset(keys.job('job_5'), {
    status: 'completed',
    result: JSON.stringify({ attempts: [{ ...winner?.attempt, outcome: 'success' }] }),
  });
  await expect(journal.closeIfFinished('job_5')).resolves.toEqual(['sim-gpt-fast']);
  expect(await journal.lateCalls('job_5')).toEqual([
    expect.objectContaining({ model: 'sim-gpt-fast', started_at: 20, outcome: 'interrupted' }),
  ]);
  expect(await journal.interrupted('job_5')).toEqual([]);
});
