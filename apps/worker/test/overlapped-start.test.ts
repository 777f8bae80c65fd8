import {
  CallJournal,
  CircuitBreaker,
  createLogger,
  createProviderRegistry,
  createQueue,
  createRedisConnection,
  createRequestExecutor,
  defaultProviderAccounts,
  ExactCache,
  embedderFrom,
  JobDeltaPublisher,
  JobStore,
  JobSubmitter,
  loadModelCatalog,
  RedisKeys,
  ResponseCaches,
  SemanticCache,
  SubmissionStore,
  TenantFlowStore,
} from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import { createPromptPipeline } from '@llmq/runner';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { type RunningPromptWorker, startPromptWorker } from '../src/prompt-worker';

// A first run's start is sent without waiting and shares its round trip with the first call's
// guards (see `DeferredStart` in pipeline/prompt-run.ts): what the start says must still decide
// the run.

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let keys: RedisKeys;
let connection: ReturnType<typeof createRedisConnection>;
let store: JobStore;
let journal: CallJournal;
let submitter: JobSubmitter;
let queue: ReturnType<typeof createQueue>;
let providers: ReturnType<typeof createProviderRegistry>;
let worker: RunningPromptWorker | undefined;
let breaker: CircuitBreaker;

beforeEach(async () => {
  simulator = await startSimulator();
  keys = new RedisKeys(uniquePrefix('test-overlap'));
  connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  store = new JobStore(connection, keys, { resultTtlSeconds: 600 });
  journal = new CallJournal(connection, keys);
  queue = createQueue('prompt', connection, keys);
  const catalog = loadModelCatalog();
  submitter = new JobSubmitter({
    queue,
    store,
    submissions: new SubmissionStore(connection, keys, { recordTtlSeconds: 600 }),
    catalog,
    defaultModel: 'sim-gpt-fast',
    attempts: 3,
  });
  providers = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 2000 }),
  );
  breaker = new CircuitBreaker(connection, keys);
});

afterEach(async () => {
  await worker?.close(5000);
  worker = undefined;
  await queue.close();
  await providers.close();
  await simulator.close();
  await cleanupPrefix(connection, keys.prefix);
  await connection.quit();
});

async function startWorker(caches?: ResponseCaches, streams = false, flows?: TenantFlowStore) {
  const logger = createLogger({
    service: 'worker-test',
    level: 'error',
    stream: captureLines().stream,
  });
  const catalog = loadModelCatalog();
  const pipeline = createPromptPipeline({
    store,
    catalog,
    logger,
    journal,
    ...(caches ? { caches } : {}),
    ...(flows ? { flows } : {}),
    ...(streams
      ? { openDeltaPublisher: (jobId: string) => new JobDeltaPublisher(connection, keys, jobId) }
      : {}),
    execute: createRequestExecutor({
      catalog,
      breaker,
      policy: { maxRetriesPerModel: 1, baseDelayMs: 10, maxDelayMs: 50, maxInlineWaitMs: 2000 },
      resolveModel: (entry) => providers.languageModel(entry.provider, entry.upstream_model),
    }),
  });
  worker = await startPromptWorker({
    connection,
    keys,
    store,
    logger,
    pipeline,
    concurrency: 2,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    maxStalledCount: 1,
  });
}

it("asks for the first call's permit before the start has answered: one round trip for both", async () => {
  const order: string[] = [];
  const start = store.start.bind(store);
  jest.spyOn(store, 'start').mockImplementation(async (...args) => {
    const outcome = await start(...args);
    order.push(`start ${outcome.outcome}`);
    return outcome;
  });
  const acquire = breaker.acquire.bind(breaker);
  jest.spyOn(breaker, 'acquire').mockImplementation(async (...args) => {
    order.push('acquire asked');
    return acquire(...args);
  });
  await startWorker();
  const { jobId } = await submitter.submit({
    tenant: 'acme',
    request: { prompt: 'echo: hi', priority: 5 },
  });
  await waitFor(async () => ((await store.get(jobId))?.status === 'completed' ? true : undefined));
  expect(order).toEqual(['acquire asked', 'start started']);
  expect(simulator.counters().total).toBe(1);
});

it('runs a first run whose start went out with its call: one attempt, its start time in the result', async () => {
  await startWorker();
  const { jobId } = await submitter.submit({
    tenant: 'acme',
    request: { prompt: 'echo: hi', priority: 5 },
  });
  const record = await waitFor(async () => {
    const found = await store.get(jobId);
    return found?.status === 'completed' ? found : undefined;
  });
  expect(record.attempts).toBe(1);
  expect(record.startedAt).toBeGreaterThanOrEqual(record.createdAt);
  expect(record.result?.timings?.queue_wait_ms).toBe((record.startedAt ?? 0) - record.createdAt);
  expect(simulator.counters().total).toBe(1);
  // The call was on record (this pipeline has no closer, so its record stays).
  expect(await journal.interrupted(jobId)).toHaveLength(1);
});

it('puts back a job whose running cap is full: no call, no record of one, no attempt counted', async () => {
  // Another job holds the key's one place.
  await store.create({
    id: 'job_holder',
    tenant: 'acme',
    model: 'sim-gpt-fast',
    priority: 5,
    createdAt: 1,
  });
  const cap = { caps: [{ scope: 'key:k1', limit: 1 }] };
  expect((await store.start('job_holder', Date.now(), cap)).outcome).toBe('started');
  await startWorker();
  const { jobId } = await submitter.submit({
    tenant: 'acme',
    request: { prompt: 'echo: hi', priority: 5 },
    apiKey: { id: 'k1', maxRunningJobs: 1 },
  });
  await waitFor(async () => ((await queue.getJobState(jobId)) === 'delayed' ? true : undefined));
  expect(simulator.counters().total).toBe(0);
  expect(await journal.interrupted(jobId)).toEqual([]);
  expect(await store.get(jobId)).toMatchObject({ status: 'queued', attempts: 0 });
  // Put back by its first run, as a claim would: no BullMQ attempt spent on it.
  expect((await queue.getJob(jobId))?.attemptsMade).toBe(0);
});

it('skips a job cancelled before its start: no call, no record of one', async () => {
  const { jobId } = await submitter.submit({
    tenant: 'acme',
    request: { prompt: 'echo: hi', priority: 5 },
  });
  expect(await store.cancel(jobId, 'acme')).toEqual({ outcome: 'cancelled' });
  await startWorker();
  await waitFor(async () => ((await queue.getJobState(jobId)) === 'completed' ? true : undefined));
  expect(simulator.counters().total).toBe(0);
  expect(await journal.interrupted(jobId)).toEqual([]);
  expect((await store.get(jobId))?.status).toBe('cancelled');
  // Skipped by its first run, as a claim would: no failed attempt before it.
  expect((await queue.getJob(jobId))?.stacktrace).toEqual([]);
});

it('makes no embedding call for a job cancelled before its start (a semantic cache on)', async () => {
  const embedded = { calls: 0 };
  const embed = embedderFrom(providers.embeddingModel('simulator-openai', 'sim-embed-small'));
  const defaults = {
    ttlSeconds: 600,
    semanticThreshold: 0.95,
    semanticMaxEntries: 1000,
    semanticMultiTurn: false,
  };
  const caches = new ResponseCaches({
    exact: new ExactCache(connection, keys, { ttlSeconds: 600 }),
    semantic: new SemanticCache(connection, keys, {
      embed: (text, signal) => {
        embedded.calls += 1;
        return embed(text, signal);
      },
      embeddingModel: 'sim-embed-small',
    }),
    defaults,
  });
  // A deterministic request: one the caches look up.
  const { jobId } = await submitter.submit({
    tenant: 'acme',
    request: { prompt: 'echo: hi', priority: 5, temperature: 0 },
  });
  expect(await store.cancel(jobId, 'acme')).toEqual({ outcome: 'cancelled' });
  await startWorker(caches);
  await waitFor(async () => ((await queue.getJobState(jobId)) === 'completed' ? true : undefined));
  expect((await store.get(jobId))?.status).toBe('cancelled');
  // The embedding call is a paid provider call the job never had the right to make.
  expect(embedded.calls).toBe(0);
  expect(simulator.counters().total).toBe(0);
});

it("streams a first run's answer, and calls nothing for a streamed job cancelled before its start", async () => {
  const { jobId: cancelled } = await submitter.submit({
    tenant: 'acme',
    request: { prompt: 'echo: never', priority: 5 },
    stream: true,
  });
  expect(await store.cancel(cancelled, 'acme')).toEqual({ outcome: 'cancelled' });
  const acquire = jest.spyOn(breaker, 'acquire');
  await startWorker(undefined, true);
  const { jobId } = await submitter.submit({
    tenant: 'acme',
    request: { prompt: 'echo: hi', priority: 5 },
    stream: true,
  });
  await waitFor(async () => ((await store.get(jobId))?.status === 'completed' ? true : undefined));
  await waitFor(async () =>
    (await queue.getJobState(cancelled)) === 'completed' ? true : undefined,
  );
  expect((await store.get(cancelled))?.status).toBe('cancelled');
  const events = await connection.xrange(keys.jobEvents(jobId), '-', '+');
  expect(events.some(([, fields]) => fields[1] === 'delta')).toBe(true);
  // Both went out with their starts: each first acquire carried its job's gate.
  const gates = acquire.mock.calls.map((call) => call[4]?.gate);
  expect(gates).toEqual(expect.arrayContaining([keys.job(jobId), keys.job(cancelled)]));
  // One call, the started job's: the cancelled one made none and left no record of one.
  expect(simulator.counters().total).toBe(1);
  expect(await journal.interrupted(cancelled)).toEqual([]);
});

it('asks again, and calls once, when its start reached Redis after its acquire (a tenant cap read first)', async () => {
  // Uncached, the tenant's running cap is read from Redis before the start is sent.
  const flows = new TenantFlowStore(connection, keys, { cacheTtlMs: 0 });
  await flows.write('acme', { max_running_jobs: 5 });
  const verdicts: string[] = [];
  const acquire = breaker.acquire.bind(breaker);
  jest.spyOn(breaker, 'acquire').mockImplementation(async (...args) => {
    const permit = await acquire(...args);
    verdicts.push(permit.allowed ? 'allowed' : permit.state);
    return permit;
  });
  await startWorker(undefined, false, flows);
  const { jobId } = await submitter.submit({
    tenant: 'acme',
    request: { prompt: 'echo: hi', priority: 5 },
  });
  const record = await waitFor(async () => {
    const found = await store.get(jobId);
    return found?.status === 'completed' ? found : undefined;
  });
  expect(record.attempts).toBe(1);
  expect(simulator.counters().total).toBe(1);
  // The first acquire, out before the start, found the gate shut; the second was let through,
  // in the same try: no skipped call among the job's attempts.
  expect(verdicts).toEqual(['gated', 'allowed']);
  expect(record.result?.attempts?.map((attempt) => attempt.outcome)).toEqual(['success']);
  expect(await journal.interrupted(jobId)).toHaveLength(1);
});
