import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { defaultProviderAccounts } from '../config/default-catalog';
import { JobStore, type StartOutcome } from '../jobs/job-store';
import type { GenerateRequest, LanguageModel } from '../providers/language-model';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import { CallJournal } from './call-journal';
import { callModel, chatCall } from './call-model';
import { CircuitBreaker } from './circuit-breaker';
import { JobNotStartedError, startGatedRecorder } from './start-gated-recorder';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let registry: ProviderRegistry;
let redis: Redis;
let keys: RedisKeys;
let journal: CallJournal;
let store: JobStore;
const catalog = loadModelCatalog();
const request: GenerateRequest = { messages: [{ role: 'user', content: 'echo: hi' }] };
const entry = catalog.resolve('sim-gpt-fast')!;

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
  keys = new RedisKeys(uniquePrefix('test-gated'));
  journal = new CallJournal(redis, keys);
  store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

async function newJob(id: string): Promise<string> {
  await store.create({ id, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1 });
  return id;
}

/** The simulator's model, counting its calls and reading the job's journal from inside each. */
function countingModel(jobId: string) {
  const real = registry.languageModel(entry.provider, entry.upstream_model);
  const seen = { calls: 0, journalDuringCall: {} as Record<string, string> };
  const model: LanguageModel = {
    ...real,
    generate: async (callRequest) => {
      seen.calls += 1;
      seen.journalDuringCall = await redis.hgetall(keys.jobOpenCalls(jobId));
      return real.generate(callRequest);
    },
  };
  return { model, seen };
}

/** A job's start sent now and not waited for, as the worker sends it (see `OverlappedClaim`). */
function sendStart(id: string, caps: Parameters<JobStore['start']>[2] = {}) {
  const outcome = store.start(id, Date.now(), caps);
  return { outcome, started: outcome.then((claim) => claim.outcome === 'started') };
}

function gated(id: string, started: Promise<boolean>) {
  return startGatedRecorder(journal.forJob(id, 10), store.recordKey(id), started);
}

it('makes a call whose start let the job run, on record during the call', async () => {
  const id = await newJob('job_ran');
  const { model, seen } = countingModel(id);
  const { outcome, started } = sendStart(id);
  const called = await callModel(chatCall({ entry, model }, request), {
    breaker: new CircuitBreaker(redis, keys),
    recorder: gated(id, started),
  });
  expect(called.ok).toBe(true);
  expect((await outcome).outcome).toBe('started');
  expect(seen.calls).toBe(1);
  expect(Object.values(seen.journalDuringCall).map((text) => JSON.parse(text))).toEqual([
    expect.objectContaining({ model: 'sim-gpt-fast', outcome: 'interrupted' }),
  ]);
});

it('neither makes nor records a call, nor takes a probe slot, when the start refused the job', async () => {
  const holder = await newJob('job_holder');
  const id = await newJob('job_capped');
  const cap = { caps: [{ scope: 'tenant:acme', limit: 1 }] };
  expect((await store.start(holder, Date.now(), cap)).outcome).toBe('started');
  // An open circuit past its cooldown: an acquire that went ahead would take its probe slot.
  const circuit = keys.circuit(entry.provider, entry.upstream_model);
  await redis.hset(circuit, { state: 'open', open_until: 0, probes: 0 });
  const { model, seen } = countingModel(id);
  const { outcome, started } = sendStart(id, cap);
  await expect(
    callModel(chatCall({ entry, model }, request), {
      breaker: new CircuitBreaker(redis, keys),
      recorder: gated(id, started),
    }),
  ).rejects.toBeInstanceOf(JobNotStartedError);
  expect((await outcome) satisfies StartOutcome).toMatchObject({ outcome: 'capped' });
  expect(seen.calls).toBe(0);
  expect(await journal.interrupted(id)).toEqual([]);
  expect(await redis.hget(circuit, 'state')).toBe('open');
  expect((await store.get(id))?.status).toBe('queued');
});

it('waits for the start before a call made without a breaker, and refuses it for a job not started', async () => {
  const id = await newJob('job_expired');
  const { model, seen } = countingModel(id);
  const { outcome, started } = sendStart(id, { startBy: Date.now() - 1000 });
  await expect(
    callModel(chatCall({ entry, model }, request), { recorder: gated(id, started) }),
  ).rejects.toBeInstanceOf(JobNotStartedError);
  expect((await outcome).outcome).toBe('expired');
  expect(seen.calls).toBe(0);
  expect(await journal.interrupted(id)).toEqual([]);
});

it('asks again, ungated, when the acquire looked before a start that then let the job run', async () => {
  const id = await newJob('job_late');
  const { model, seen } = countingModel(id);
  let letRun: (ran: boolean) => void = () => undefined;
  const started = new Promise<boolean>((resolve) => {
    letRun = resolve;
  });
  const call = callModel(chatCall({ entry, model }, request), {
    breaker: new CircuitBreaker(redis, keys),
    recorder: gated(id, started),
  });
  // The acquire finds the record still queued and waits for the start; the start lands now.
  await new Promise((resolve) => setImmediate(resolve));
  expect((await store.start(id)).outcome).toBe('started');
  letRun(true);
  expect((await call).ok).toBe(true);
  expect(seen.calls).toBe(1);
  expect(Object.keys(seen.journalDuringCall)).toHaveLength(1);
});
