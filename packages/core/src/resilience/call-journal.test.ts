import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { defaultProviderAccounts } from '../config/default-catalog';
import { CostLedger } from '../cost/cost-ledger';
import { JobStore } from '../jobs/job-store';
import type { GenerateRequest, LanguageModel } from '../providers/language-model';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import type { AttemptRecord } from './attempt-record';
import {
  CallJournal,
  interruptedAttempt,
  interruptedAttemptJson,
  withInterruptedCalls,
} from './call-journal';
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

/** The catalog model, calling for real, that first reads the job's journal from inside the call. */
function modelReadingJournal(entry: ReturnType<typeof entryOf>, jobId: string) {
  const real = registry.languageModel(entry.provider, entry.upstream_model);
  const seen: { duringCall: Record<string, string> } = { duringCall: {} };
  const model: LanguageModel = {
    ...real,
    generate: async (callRequest) => {
      seen.duringCall = await redis.hgetall(keys.jobOpenCalls(jobId));
      return real.generate(callRequest);
    },
  };
  return { model, seen };
}

it('has the call on record while the provider works on it, until the job has ended', async () => {
  const entry = entryOf('sim-gpt-fast');
  // Reads the journal from inside the call, when the provider has the request.
  const { model, seen } = modelReadingJournal(entry, 'job_1');
  const outcome = await callModel(chatCall({ entry, model }, request), {
    recorder: journal.forJob('job_1', 120),
  });
  expect(outcome.ok).toBe(true);
  expect(Object.values(seen.duringCall).map((text) => JSON.parse(text))).toEqual([
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

it("has the call on record during the call when the breaker's acquire writes it", async () => {
  const entry = entryOf('sim-gpt-fast');
  const { model, seen } = modelReadingJournal(entry, 'job_6');
  const outcome = await callModel(chatCall({ entry, model }, request), {
    breaker: new CircuitBreaker(redis, keys),
    recorder: journal.forJob('job_6', 120),
  });
  expect(outcome.ok).toBe(true);
  expect(Object.values(seen.duringCall).map((text) => JSON.parse(text))).toEqual([
    expect.objectContaining({ model: 'sim-gpt-fast', outcome: 'interrupted' }),
  ]);
  expect(await redis.ttl(keys.jobOpenCalls('job_6'))).toBeGreaterThan(100);
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
  // The breaker's acquire writes the record only when it lets the call through.
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

it('keeps a journal no longer than its lifetime, renewed by each call it records', async () => {
  const entry = entryOf('sim-gpt-fast');
  const shortLived = new CallJournal(redis, keys, { ttlSeconds: 60 });
  await shortLived.forJob('job_7', 10).begin(entry, 1);
  await redis.expire(keys.jobOpenCalls('job_7'), 5);
  await shortLived.forJob('job_7', 10).begin(entry, 2);
  expect(await shortLived.interrupted('job_7')).toHaveLength(2);
  const ttl = await redis.ttl(keys.jobOpenCalls('job_7'));
  expect(ttl).toBeGreaterThan(5);
  expect(ttl).toBeLessThanOrEqual(60);
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

describe("the job store's final transition", () => {
  const attemptOf = (model: string, startedAt: number): AttemptRecord => ({
    provider: 'simulator-openai',
    model,
    outcome: 'success',
    started_at: startedAt,
    latency_ms: 5,
    cost_usd: 0.0001,
  });
  const resultWith = (attempts: AttemptRecord[]) => ({
    text: 'hi',
    message: { role: 'assistant' as const, content: 'hi' },
    finish_reason: 'stop' as const,
    model: 'sim-gpt-fast',
    upstream_model: 'sim-gpt-fast',
    provider: 'simulator-openai',
    usage: { input_tokens: 3, output_tokens: 1, cached_input_tokens: 0, total_tokens: 4 },
    timings: { queue_wait_ms: 1, provider_ms: 2, total_ms: 3 },
    attempts,
  });
  async function startedJob(store: JobStore, id: string) {
    await store.create({ id, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1 });
    await store.start(id);
  }

  it('closes the journal of the job it ends, keeping the calls it did not store as late', async () => {
    const store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
    const entry = entryOf('sim-gpt-fast');
    await startedJob(store, 'job_8');
    await journal.forJob('job_8', 10).begin(entry, 100);
    // A call of another run of the job (its lock lost), which the stored result does not hold.
    await journal.forJob('job_8', 10).begin(entry, 200);
    const closed: string[][] = [];
    const ledger = new CostLedger(redis, keys).write('acme', [], { now: 0 });
    const written = await store.complete(
      'job_8',
      resultWith([attemptOf(entry.id, 100)]),
      1000,
      ledger,
      journal.closing('job_8', (late) => closed.push(late)),
    );
    expect(written).toBe(true);
    expect(closed).toEqual([[entry.id]]);
    expect(await redis.exists(keys.jobOpenCalls('job_8'))).toBe(0);
    expect((await journal.lateCalls('job_8')).map((call) => call.started_at)).toEqual([200]);
    expect(await redis.ttl(keys.jobLateCalls('job_8'))).toBeGreaterThan(0);
    expect((await store.get('job_8'))?.status).toBe('completed');
  });

  it('closes it on a failure too, matching the attempts the error holds', async () => {
    const store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
    const entry = entryOf('sim-gpt-fast');
    await startedJob(store, 'job_9');
    await journal.forJob('job_9', 10).begin(entry, 300);
    const closed: string[][] = [];
    const failure = {
      code: 'provider_error' as const,
      message: 'no',
      attempts: [{ ...attemptOf(entry.id, 300), outcome: 'error' as const }],
    };
    const ended = await store.fail(
      'job_9',
      failure,
      1000,
      undefined,
      journal.closing('job_9', (late) => closed.push(late)),
    );
    expect(ended).toBe(true);
    expect(closed).toEqual([[]]);
    expect(await redis.exists(keys.jobOpenCalls('job_9'))).toBe(0);
    expect(await journal.lateCalls('job_9')).toEqual([]);
  });

  it('leaves the journal alone when the job had already ended', async () => {
    const store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
    const entry = entryOf('sim-gpt-fast');
    await startedJob(store, 'job_10');
    expect(await store.complete('job_10', resultWith([]))).toBe(true);
    await journal.forJob('job_10', 10).begin(entry, 400);
    const closed: string[][] = [];
    const again = await store.complete(
      'job_10',
      resultWith([attemptOf(entry.id, 400)]),
      1000,
      undefined,
      journal.closing('job_10', (late) => closed.push(late)),
    );
    expect(again).toBe(false);
    expect(closed).toEqual([]);
    // Left for the close after the run, which matches it against what the record holds.
    expect(await journal.interrupted('job_10')).toHaveLength(1);
    await expect(journal.closeIfFinished('job_10')).resolves.toEqual([entry.id]);
  });
});

describe('the record of a call', () => {
  it('is the JSON of its interrupted attempt, names with quotes and escapes included', () => {
    const entry = catalog.resolve('sim-gpt-fast');
    expect(entry).toBeDefined();
    if (!entry) return;
    const odd = { ...entry, id: 'a "quoted" \\ modèle-☃\n' };
    for (const [model, startedAt, inputTokens] of [
      [entry, 1_796_689_963_888, 18],
      [odd, 1_796_689_963_889, 0],
      [odd, 1_796_689_963_890, 123_456],
      [entry, Number.NaN, 7],
    ] as const) {
      expect(interruptedAttemptJson(model, startedAt, inputTokens)).toBe(
        JSON.stringify(interruptedAttempt(model, startedAt, inputTokens)),
      );
    }
  });
});
