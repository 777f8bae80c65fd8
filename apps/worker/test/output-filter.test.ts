import {
  createLogger,
  createProviderRegistry,
  createQueue,
  createRedisConnection,
  createRequestExecutor,
  defaultFilterPolicy,
  defaultProviderAccounts,
  FilterPolicyStore,
  JobStore,
  JobSubmitter,
  loadModelCatalog,
  mergeFilterPolicy,
  RedisKeys,
  SubmissionStore,
} from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import { createPromptPipeline } from '@llmq/runner';
import { cleanupPrefix, defined, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { type RunningPromptWorker, startPromptWorker } from '../src/prompt-worker';

let simulator: Awaited<ReturnType<typeof startSimulator>>;
let keys: RedisKeys;
let connection: ReturnType<typeof createRedisConnection>;
let store: JobStore;
let submitter: JobSubmitter;
let policies: FilterPolicyStore;
let worker: RunningPromptWorker;
let queue: ReturnType<typeof createQueue>;
let providers: ReturnType<typeof createProviderRegistry>;

beforeAll(async () => {
  simulator = await startSimulator();
  keys = new RedisKeys(uniquePrefix('test-output-filter'));
  connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  store = new JobStore(connection, keys, { resultTtlSeconds: 600 });
  queue = createQueue('prompt', connection, keys);
  const catalog = loadModelCatalog(undefined, {
    availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
  });
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
  policies = new FilterPolicyStore(connection, keys, {
    defaults: defaultFilterPolicy,
    cacheTtlMs: 0,
  });
  const logger = createLogger({ service: 'worker-test', level: 'error' });
  providers = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 2000 }),
  );
  worker = await startPromptWorker({
    connection,
    keys,
    store,
    logger,
    pipeline: createPromptPipeline({
      store,
      catalog,
      logger,
      filterPolicies: policies,
      // The real resilience stage: the output filter runs on its successful outcome.
      execute: createRequestExecutor({
        catalog,
        policy: { maxRetriesPerModel: 1, baseDelayMs: 10, maxDelayMs: 50, maxInlineWaitMs: 2000 },
        resolveModel: (entry) =>
          providers.has(entry.provider)
            ? providers.languageModel(entry.provider, entry.upstream_model)
            : undefined,
      }),
    }),
    concurrency: 5,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
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
  prompt: string,
  options: { n?: number; logprobs?: boolean } = {},
) {
  const outcome = await submitter.submit({ tenant, request: { prompt, priority: 5, ...options } });
  return waitFor(
    async () => {
      const record = await store.get(outcome.jobId);
      return record && ['completed', 'failed'].includes(record.status) ? record : undefined;
    },
    { what: `job ${outcome.jobId}` },
  );
}

const english = 'echo: card 4111 1111 1111 1111 on file';
const chinese = 'echo: 信用卡号 4111 1111 1111 1111 已保存';

describe.each([
  ['English', english],
  ['Chinese', chinese],
])('the output filter on a %s answer', (_language, prompt) => {
  it('block: fails the job with output_rejected and stores no result', async () => {
    await policies.write(
      't-block',
      mergeFilterPolicy(defaultFilterPolicy, { output: { detectors: { credit_card: 'block' } } }),
    );
    const record = await run('t-block', prompt);
    expect(record).toMatchObject({ status: 'failed', error: { code: 'output_rejected' } });
    expect(record.error?.message).toMatch(/credit-card/);
    // The provider call did happen (and cost): the failure records it, and the job is a dead letter.
    expect(record.error?.attempts).toMatchObject([{ outcome: 'success' }]);
    expect(await store.deadLetters.list('t-block', { limit: 10 })).toMatchObject({
      jobIds: expect.arrayContaining([record.id]),
    });
    expect(record.result).toBeUndefined();
  });

  it('redact: stores the masked answer and lists the finding on the result', async () => {
    await policies.write(
      't-redact',
      mergeFilterPolicy(defaultFilterPolicy, { output: { detectors: { credit_card: 'redact' } } }),
    );
    const record = await run('t-redact', prompt);
    expect(record.status).toBe('completed');
    expect(record.result?.text).toContain('[CARD]');
    expect(record.result?.text).not.toContain('4111');
    expect(record.result?.message.content).toBe(record.result?.text);
    expect(record.result?.filter_findings).toEqual([
      { stage: 'output', detector: 'credit_card', action: 'redact', count: 1, location: 'text' },
    ]);
  });

  it('flag: keeps the answer and lists the finding', async () => {
    await policies.write(
      't-flag',
      mergeFilterPolicy(defaultFilterPolicy, { output: { detectors: { credit_card: 'flag' } } }),
    );
    const record = await run('t-flag', prompt);
    expect(record.result?.text).toContain('4111 1111 1111 1111');
    expect(record.result?.filter_findings).toMatchObject([
      { detector: 'credit_card', action: 'flag' },
    ]);
  });
});

it('redacts every choice of an n > 1 answer, and drops the token logprobs that spell what it masked', async () => {
  await policies.write(
    't-redact-choices',
    mergeFilterPolicy(defaultFilterPolicy, { output: { detectors: { credit_card: 'redact' } } }),
  );
  const record = await run('t-redact-choices', english, { n: 2, logprobs: true });
  expect(record.status).toBe('completed');
  const result = defined(record.result, 'the result');
  const other = defined(result.other_choices?.[0], 'the second choice');
  expect(result.text).toContain('[CARD]');
  expect(JSON.stringify(other.content)).toContain('[CARD]');
  expect(JSON.stringify(result)).not.toContain('4111');
  expect(result.logprobs).toBeUndefined();
  expect(other.logprobs).toBeUndefined();
  expect(result.filter_findings?.map((finding) => finding.location)).toEqual([
    'text',
    'other_choices[0].text',
  ]);
});

it('keeps the token logprobs of a choice no redaction changed', async () => {
  const record = await run('t-clean-choices', 'echo: nothing to see here', {
    n: 2,
    logprobs: true,
  });
  const result = defined(record.result, 'the result');
  expect(result.logprobs?.length).toBeGreaterThan(0);
  expect(result.other_choices?.[0]?.logprobs?.length).toBeGreaterThan(0);
});

it('lists no findings for a clean answer', async () => {
  const record = await run('t-clean', 'echo: nothing to see here');
  expect(record.status).toBe('completed');
  expect(defined(record.result, 'the result').filter_findings).toBeUndefined();
});
