import { cleanupPrefix, startSimulator, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { defaultProviderAccounts } from '../config/default-catalog';
import type { GenerateRequest, LanguageModel } from '../providers/language-model';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import { loadModelCatalog } from '../routing/load-model-catalog';
import type { AttemptRecord } from './attempt-record';
import { CallJournal, withInterruptedCalls } from './call-journal';
import { callModel } from './call-model';

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

it('has the call on record while the provider works on it, and not after it answered', async () => {
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
  const outcome = await callModel({ entry, model }, request, {
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
  // Ending the call is not awaited by the job: wait for the record to go.
  for (let tries = 0; tries < 100 && (await redis.exists(keys.jobOpenCalls('job_1'))); tries++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await journal.interrupted('job_1')).toEqual([]);
});

it('ends the record of a call that failed too', async () => {
  const entry = entryOf('sim-gpt-fast');
  const outcome = await callModel(
    { entry, model: registry.languageModel(entry.provider, entry.upstream_model) },
    { ...request, headers: { 'x-sim-fault': '500' } },
    { recorder: journal.forJob('job_2', 10) },
  );
  expect(outcome.ok).toBe(false);
  for (let tries = 0; tries < 100 && (await redis.exists(keys.jobOpenCalls('job_2'))); tries++)
    await new Promise((resolve) => setTimeout(resolve, 10));
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
  await journal.forget('job_3', call ? [call] : []);
  expect(await journal.interrupted('job_3')).toEqual([]);
});

it('adds each interrupted call to the attempts once, however many runs saw it', async () => {
  const entry = entryOf('sim-gpt-fast');
  await journal.forJob('job_4', 10).begin(entry, 1);
  await journal.forJob('job_4', 10).begin(entry, 2);
  const interrupted = await journal.interrupted('job_4');
  const earlier: AttemptRecord = {
    provider: entry.provider,
    model: entry.id,
    outcome: 'error',
    started_at: 0,
    latency_ms: 5,
    cost_usd: 0,
  };
  const once = withInterruptedCalls([earlier], interrupted);
  expect(once.map((attempt) => [attempt.outcome, attempt.started_at])).toEqual([
    ['error', 0],
    ['interrupted', 1],
    ['interrupted', 2],
  ]);
  // A run that died after carrying them (before forgetting them) sees them again: no double.
  expect(withInterruptedCalls(once, interrupted)).toEqual(once);
});
