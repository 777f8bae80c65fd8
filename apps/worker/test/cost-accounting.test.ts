import Anthropic from '@anthropic-ai/sdk';
import {
  CircuitBreaker,
  CostLedger,
  createLogger,
  createProviderRegistry,
  createQueue,
  createRedisConnection,
  createRequestExecutor,
  defaultFilterPolicy,
  defaultProviderAccounts,
  ExactCache,
  FilterPolicyStore,
  JobDeltaPublisher,
  type JobRecord,
  JobStore,
  JobSubmitter,
  loadModelCatalog,
  mergeFilterPolicy,
  RedisKeys,
  ResponseCaches,
  readUsageReport,
  SubmissionStore,
  toNanoUsd,
} from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import { createPromptPipeline } from '@llmq/runner';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import OpenAI from 'openai';
import { type RunningPromptWorker, startPromptWorker } from '../src/prompt-worker';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});
let simulator: Simulator;
let keys: RedisKeys;
let connection: ReturnType<typeof createRedisConnection>;
let store: JobStore;
let submitter: JobSubmitter;
let worker: RunningPromptWorker;
let queue: ReturnType<typeof createQueue>;
let providers: ReturnType<typeof createProviderRegistry>;

beforeAll(async () => {
  simulator = await startSimulator();
  keys = new RedisKeys(uniquePrefix('test-cost'));
  connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  store = new JobStore(connection, keys, { resultTtlSeconds: 600 });
  queue = createQueue('prompt', connection, keys);
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
  const policies = new FilterPolicyStore(connection, keys, {
    defaults: defaultFilterPolicy,
    cacheTtlMs: 0,
  });
  await policies.write(
    'tenant-b',
    mergeFilterPolicy(defaultFilterPolicy, { output: { detectors: { credit_card: 'block' } } }),
  );
  providers = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 5000 }),
  );
  const pipeline = createPromptPipeline({
    store,
    catalog,
    logger: createLogger({ service: 'cost-test', level: 'error', stream: captureLines().stream }),
    filterPolicies: policies,
    caches: new ResponseCaches({
      exact: new ExactCache(connection, keys, { ttlSeconds: 600 }),
      defaults: {
        ttlSeconds: 600,
        semanticThreshold: 0.95,
        semanticMaxEntries: 1000,
        semanticMultiTurn: false,
      },
    }),
    ledger: new CostLedger(connection, keys),
    openDeltaPublisher: (jobId) => new JobDeltaPublisher(connection, keys, jobId),
    execute: createRequestExecutor({
      catalog,
      breaker: new CircuitBreaker(connection, keys),
      policy: { maxRetriesPerModel: 0, baseDelayMs: 10, maxDelayMs: 50, maxInlineWaitMs: 2000 },
      resolveModel: (entry) =>
        providers.has(entry.provider)
          ? providers.languageModel(entry.provider, entry.upstream_model)
          : undefined,
    }),
  });
  worker = await startPromptWorker({
    connection,
    keys,
    store,
    logger: createLogger({ service: 'cost-test', level: 'error', stream: captureLines().stream }),
    pipeline,
    concurrency: 4,
    lockDurationMs: 10_000,
    stalledIntervalMs: 10_000,
    maxStalledCount: 1,
  });
});

afterAll(async () => {
  await worker.close(5000);
  await queue.close();
  await providers.close();
  await simulator.close();
  await cleanupPrefix(connection, keys.prefix);
  await connection.quit();
});

async function run(
  tenant: string,
  request: Parameters<JobSubmitter['submit']>[0]['request'],
  stream = false,
): Promise<JobRecord> {
  const outcome = await submitter.submit({ tenant, request, stream });
  return waitFor(
    async () => {
      const record = await store.get(outcome.jobId);
      return record && ['completed', 'failed'].includes(record.status) ? record : undefined;
    },
    { what: `job ${outcome.jobId}`, timeoutMs: 20_000 },
  );
}

/** Catalog price × reported usage, USD, as the issue states it. */
function priced(model: string, usage: { input: number; cached: number; output: number }): number {
  const entry = catalog.resolve(model);
  if (!entry) throw new Error(`no ${model}`);
  return (
    ((usage.input - usage.cached) * entry.pricing.input +
      usage.cached * entry.pricing.cached_input +
      usage.output * entry.pricing.output) /
    1e6
  );
}

const echo = (text: string) => ({
  messages: [{ role: 'user' as const, content: `echo: ${text}` }],
  max_tokens: 64,
  temperature: 0,
  fallbacks: false,
  priority: 5,
});

describe('cost of a job', () => {
  it.each([
    ['OpenAI', 'sim-gpt-fast', false],
    ['OpenAI, streamed', 'sim-gpt-fast', true],
    ['Anthropic', 'sim-claude-fast', false],
    ['Anthropic, streamed', 'sim-claude-fast', true],
  ])(
    '%s: equals catalog price × the usage the provider reported',
    async (_label, model, stream) => {
      const text = `the cost of ${model} ${stream ? 'streamed' : 'whole'} is exact`;
      const record = await run('tenant-price', { ...echo(text), model, cache: 'bypass' }, stream);
      expect(record.status).toBe('completed');
      const result = record.result;
      if (!result) throw new Error('no result');
      expect(result.text).toBe(text);

      // The provider's own report, through its official SDK, for the same request.
      const reported =
        model === 'sim-gpt-fast'
          ? await new OpenAI({
              baseURL: `${simulator.url}/v1`,
              apiKey: 'x',
              maxRetries: 0,
            }).chat.completions
              .create({
                model,
                max_tokens: 64,
                temperature: 0,
                messages: [{ role: 'user', content: `echo: ${text}` }],
              })
              .then((answer) => ({
                input: answer.usage?.prompt_tokens ?? -1,
                cached: answer.usage?.prompt_tokens_details?.cached_tokens ?? 0,
                output: answer.usage?.completion_tokens ?? -1,
              }))
          : await new Anthropic({ baseURL: simulator.url, apiKey: 'x', maxRetries: 0 }).messages
              .create({
                model,
                max_tokens: 64,

                messages: [{ role: 'user', content: `echo: ${text}` }],
              })
              .then((answer) => ({
                input:
                  answer.usage.input_tokens +
                  (answer.usage.cache_read_input_tokens ?? 0) +
                  (answer.usage.cache_creation_input_tokens ?? 0),
                cached: answer.usage.cache_read_input_tokens ?? 0,
                output: answer.usage.output_tokens,
              }));
      expect(result.usage).toMatchObject({
        input_tokens: reported.input,
        cached_input_tokens: reported.cached,
        output_tokens: reported.output,
      });
      expect(result.cost_usd).toBeGreaterThan(0);
      expect(toNanoUsd(result.cost_usd ?? 0)).toBe(toNanoUsd(priced(model, reported)));
    },
  );
});

describe('the usage ledger over a mixed run', () => {
  it('sums exactly: tenants, models, streams, a cache hit, a hedge loser and a billed failure', async () => {
    const records: Array<{ tenant: string; record: JobRecord }> = [];
    const add = async (tenant: string, record: Promise<JobRecord>) =>
      records.push({ tenant, record: await record });
    await add('tenant-a', run('tenant-a', { ...echo('alpha one'), model: 'sim-gpt-fast' }));
    // The same deterministic request again: an exact-cache hit, free.
    await add('tenant-a', run('tenant-a', { ...echo('alpha one'), model: 'sim-gpt-fast' }));
    await add(
      'tenant-a',
      run('tenant-a', { ...echo('alpha two'), model: 'sim-claude-fast' }, true),
    );
    // A race of two models: the loser is billed too (its usage, or its prompt when aborted).
    await add(
      'tenant-a',
      run('tenant-a', {
        ...echo('alpha race'),
        model: 'sim-gpt-fast',
        cache: 'bypass',
        hedge: { model: 'sim-claude-fast', after_ms: 0 },
      }),
    );
    await add('tenant-b', run('tenant-b', { ...echo('beta one'), model: 'sim-gpt-fast' }, true));
    // The provider answered (and billed), then the output filter blocked it: a failed, billed job.
    await add(
      'tenant-b',
      run('tenant-b', { ...echo('card 4111 1111 1111 1111 on file'), model: 'sim-claude-fast' }),
    );

    const [first, hit, , race, , blocked] = records.map((item) => item.record);
    expect(hit?.result).toMatchObject({ cached: true, cost_usd: 0 });
    expect(hit?.result?.saved_cost_usd).toBe(first?.result?.cost_usd);
    expect(race?.result?.attempts).toHaveLength(2);
    expect(blocked).toMatchObject({ status: 'failed', error: { code: 'output_rejected' } });
    expect(blocked?.error?.attempts?.[0]?.cost_usd).toBeGreaterThan(0);

    for (const tenant of ['tenant-a', 'tenant-b']) {
      const mine = records.filter((item) => item.tenant === tenant).map((item) => item.record);
      const attempts = mine.flatMap(
        (record) => record.result?.attempts ?? record.error?.attempts ?? [],
      );
      const expected = { cost: 0, input: 0, cached: 0, output: 0, calls: 0 };
      const byModel = new Map<string, number>();
      for (const attempt of attempts) {
        if (attempt.cost_usd <= 0 && !attempt.usage) continue;
        expected.cost += toNanoUsd(attempt.cost_usd);
        expected.input += attempt.usage?.input_tokens ?? 0;
        expected.cached += attempt.usage?.cached_input_tokens ?? 0;
        expected.output += attempt.usage?.output_tokens ?? 0;
        expected.calls += 1;
        byModel.set(attempt.model, (byModel.get(attempt.model) ?? 0) + toNanoUsd(attempt.cost_usd));
      }
      // Each completed job's cost_usd is the sum of its calls.
      for (const record of mine.filter((item) => item.result && !item.result.cached)) {
        const sum = (record.result?.attempts ?? []).reduce(
          (total, attempt) => total + toNanoUsd(attempt.cost_usd),
          0,
        );
        expect(Math.abs(toNanoUsd(record.result?.cost_usd ?? 0) - sum)).toBeLessThanOrEqual(10);
      }
      const report = await readUsageReport(connection, keys, tenant, {
        group_by: ['model'],
      });
      if ('error' in report) throw new Error(report.error);
      expect(report.totals).toMatchObject({
        cost_nano_usd: expected.cost,
        input_tokens: expected.input,
        cached_input_tokens: expected.cached,
        output_tokens: expected.output,
        calls: expected.calls,
        cache_hits: tenant === 'tenant-a' ? 1 : 0,
      });
      expect(report.totals.cost_usd).toBe(expected.cost / 1e9);
      for (const row of report.data)
        expect([row.model, row.cost_nano_usd]).toEqual([
          row.model,
          byModel.get(row.model ?? '') ?? 0,
        ]);
    }
  });
});
