import {
  CircuitBreaker,
  createLogger,
  createProviderRegistry,
  createQueue,
  createRedisConnection,
  createRequestExecutor,
  defaultProviderAccounts,
  JobStore,
  JobSubmitter,
  loadModelCatalog,
  ModelCatalog,
  type ModelEntryInput,
  type ProviderRegistry,
  RedisKeys,
  SubmissionStore,
} from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import { createPromptPipeline } from '@llmq/runner';
import {
  captureLines,
  cleanupPrefix,
  defined,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from '@llmq/testing';
import { type RunningPromptWorker, startPromptWorker } from '../src/prompt-worker';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let simulator: Simulator;
let keys: RedisKeys;
let connection: ReturnType<typeof createRedisConnection>;
let store: JobStore;
let submitter: JobSubmitter;
let worker: RunningPromptWorker;
let queue: ReturnType<typeof createQueue>;
let logLines: string[];
let providers: ReturnType<typeof createProviderRegistry>;

beforeEach(async () => {
  simulator = await startSimulator();
  keys = new RedisKeys(uniquePrefix('test-worker'));
  connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  store = new JobStore(connection, keys, { resultTtlSeconds: 600 });
  queue = createQueue('prompt', connection, keys);
  const catalog = new ModelCatalog([
    ...loadModelCatalog().list(),
    testEntry({ id: 'broken', provider: 'simulator-openai', upstream_model: 'not-a-sim-model' }),
  ]);
  submitter = new JobSubmitter({
    queue,
    store,
    submissions: new SubmissionStore(connection, keys, {
      recordTtlSeconds: store.pendingTtlSeconds,
    }),
    catalog,
    defaultModel: 'sim-gpt-fast',
    attempts: 3,
  });
  const captured = captureLines();
  logLines = captured.lines;
  const logger = createLogger({ service: 'worker-test', level: 'debug', stream: captured.stream });
  providers = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 2000 }),
  );
  const pipeline = createPromptPipeline({
    store,
    catalog,
    logger,
    execute: executorFor(catalog, providers, new CircuitBreaker(connection, keys)),
  });
  worker = await startPromptWorker({
    connection,
    keys,
    store,
    logger,
    pipeline,
    concurrency: 5,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    maxStalledCount: 1,
  });
});

afterEach(async () => {
  await worker.close(5000);
  await queue.close();
  await providers.close();
  await simulator.close();
  await cleanupPrefix(connection, keys.prefix);
  await connection.quit();
});

function testEntry(
  fields: Pick<ModelEntryInput, 'id' | 'provider' | 'upstream_model'>,
): ModelEntryInput {
  return {
    ...fields,
    tier: 'fast',
    context_window: 8000,
    max_output_tokens: 1000,
    pricing: { input: 1, output: 2, cached_input: 0.5 },
    expected_latency_ms: 100,
  };
}

function executorFor(catalog: ModelCatalog, registry: ProviderRegistry, breaker?: CircuitBreaker) {
  return createRequestExecutor({
    catalog,
    breaker,
    policy: { maxRetriesPerModel: 1, baseDelayMs: 10, maxDelayMs: 50, maxInlineWaitMs: 2000 },
    resolveModel: (entry) =>
      registry.has(entry.provider)
        ? registry.languageModel(entry.provider, entry.upstream_model)
        : undefined,
  });
}

async function finished(jobId: string) {
  return waitFor(
    async () => {
      const record = await store.get(jobId);
      return record && ['completed', 'failed', 'cancelled'].includes(record.status)
        ? record
        : undefined;
    },
    { what: `job ${jobId}` },
  );
}

describe('prompt worker', () => {
  it('stores the result in the job store, not as a BullMQ return value, and trims BullMQ entries', async () => {
    const { jobId } = (await submitter.submit({
      tenant: 't',
      request: { prompt: 'echo: stored once', priority: 5 },
    })) as {
      jobId: string;
    };
    const record = await finished(jobId);
    expect(record).toMatchObject({
      status: 'completed',
      resultWrites: 1,
      result: { text: 'stored once' },
    });
    const bullJob = defined(await queue.getJob(jobId), 'the BullMQ job');
    expect(bullJob.returnvalue ?? null).toBeNull();
    expect(bullJob.opts.removeOnComplete).toEqual({ age: 3600, count: 1000 });
  });

  it('fails at once, with no retry, on a final provider error (404 unknown upstream model)', async () => {
    const { jobId } = await submitter.submit({
      tenant: 't',
      request: { model: 'broken', prompt: 'x', priority: 5 },
    });
    const record = await finished(jobId);
    expect(record).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'provider_model_not_found', provider: 'simulator-openai', status_code: 404 },
    });
    expect(simulator.counters().total).toBe(1);
  });

  it('ends a job whose model this worker does not serve as model_unavailable, without a call', async () => {
    const narrowCatalog = new ModelCatalog(
      [testEntry({ id: 'sim-gpt-fast', provider: 'openai', upstream_model: 'x' })],
      { availableProviders: ['simulator-openai'] },
    );
    const narrowPipeline = createPromptPipeline({
      store,
      catalog: narrowCatalog,
      logger: createLogger({
        service: 'x',
        level: 'error',
        stream: captureLines().stream,
      }),
      execute: executorFor(narrowCatalog, providers),
    });
    await worker.close(5000);
    worker = await startPromptWorker({
      connection,
      keys,
      store,
      logger: createLogger({
        service: 'x',
        level: 'error',
        stream: captureLines().stream,
      }),
      pipeline: narrowPipeline,
      concurrency: 1,
      lockDurationMs: 5000,
      stalledIntervalMs: 5000,
      maxStalledCount: 1,
    });
    const { jobId } = await submitter.submit({
      tenant: 't',
      request: { prompt: 'x', priority: 5 },
    });
    expect(await finished(jobId)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'model_unavailable' },
    });
    expect(simulator.counters().total).toBe(0);
  });

  it('cuts a hanging provider call with the timeout and retries it within the attempt', async () => {
    simulator.configure({ models: { 'sim-gpt-fast': { faults: { hang: 1 } } } });
    const { jobId } = await submitter.submit({
      tenant: 't',
      request: { prompt: 'hang please', priority: 5, fallbacks: false },
    });
    await waitFor(() => (simulator.counters().total >= 1 ? true : undefined), {
      what: 'the first (hanging) call',
    });
    simulator.configure({ models: { 'sim-gpt-fast': { faults: { hang: 0 } } } });
    const record = await finished(jobId);
    expect(record).toMatchObject({ status: 'completed', attempts: 1 });
    expect(record.result?.attempts).toEqual([
      expect.objectContaining({ model: 'sim-gpt-fast', outcome: 'error', error_code: 'timeout' }),
      expect.objectContaining({ model: 'sim-gpt-fast', outcome: 'success' }),
    ]);
    // Cut by the 2 s timeout, not left hanging.
    expect(record.result?.attempts?.[0]?.latency_ms).toBeGreaterThanOrEqual(1900);
    expect(record.result?.attempts?.[0]?.latency_ms).toBeLessThan(5000);
    const calls = simulator
      .counters()
      .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
    expect(calls.map((call) => call.headers['x-llmq-attempt'])).toEqual(['1', '2']);
  });

  it('logs lengths and tokens but never the prompt or the answer', async () => {
    const { jobId } = await submitter.submit({
      tenant: 't',
      request: { prompt: 'echo: top-secret-answer-77', priority: 5 },
    });
    await finished(jobId);
    const output = logLines.join('\n');
    expect(output).toContain('job-end');
    expect(output).toContain('output_tokens');
    expect(output).not.toContain('top-secret-answer-77');
  });

  it('routes a job with the input-token count made at submit, not a count of its own', async () => {
    await worker.close(5000);
    const { jobId } = await submitter.submit({
      tenant: 't',
      request: { prompt: 'echo: counted once', priority: 5 },
    });
    const queued = defined(await queue.getJob(jobId), 'the queued job');
    expect(queued.data.inputTokens).toBeGreaterThan(5);
    // A count no tokenizer would make of this prompt: the stored route shows which was used.
    await queued.updateData({ ...queued.data, inputTokens: 4321 });
    worker = await startPromptWorker({
      connection,
      keys,
      store,
      logger: createLogger({ service: 'x', level: 'error', stream: captureLines().stream }),
      pipeline: createPromptPipeline({
        store,
        catalog: loadModelCatalog(),
        logger: createLogger({ service: 'x', level: 'error', stream: captureLines().stream }),
        execute: executorFor(loadModelCatalog(), providers),
      }),
      concurrency: 1,
      lockDurationMs: 5000,
      stalledIntervalMs: 5000,
      maxStalledCount: 1,
    });
    const record = await finished(jobId);
    expect(record).toMatchObject({ status: 'completed', result: { text: 'counted once' } });
    expect(record.result?.routing?.input_tokens).toBe(4321);
  });
});
