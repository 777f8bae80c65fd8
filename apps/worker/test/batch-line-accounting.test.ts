import {
  BatchStore,
  BudgetStore,
  CircuitBreaker,
  CostLedger,
  createLogger,
  createMetrics,
  createProviderRegistry,
  createQueue,
  createRedisConnection,
  createRequestExecutor,
  defaultProviderAccounts,
  loadModelCatalog,
  RedisKeys,
  readUsageReport,
  toNanoUsd,
} from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createBatchLinePipeline } from '../src/batches/batch-line-pipeline';
import { finishBatchLine } from '../src/batches/finish-batch-line';

let redis: Redis;
let keys: RedisKeys;
let controlQueue: Queue;

beforeEach(() => {
  redis = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  keys = new RedisKeys(uniquePrefix('test-batch-lines'));
  controlQueue = createQueue('batch-ingest', redis, keys);
});

afterEach(async () => {
  await controlQueue.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

async function createBatch(batches: BatchStore, id: string, lines: number) {
  await batches.create({
    id,
    tenant: 't',
    endpoint: '/v1/chat/completions',
    inputFileId: 'file-in',
    completionWindow: '24h',
    createdAt: 1000,
    expiresAt: 86_401_000,
    reservedOutputFileId: 'file-out',
    reservedErrorFileId: 'file-err',
  });
  await batches.begin(id, lines);
}

test('a stalled re-run of a recorded line bills its new call once and records the line once', async () => {
  const simulator = await startSimulator();
  const providers = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 5000 }),
  );
  const lineQueue = createQueue('batch-line', redis, keys);
  try {
    const catalog = loadModelCatalog(undefined, {
      availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
    });
    const batches = new BatchStore(redis, keys, { ttlSeconds: 120 });
    await createBatch(batches, 'batch_s', 2);
    // The batch's budget reservation: each line's end frees its part, once.
    const budgets = new BudgetStore(redis, keys, { defaults: { dailyHard: toNanoUsd(100) } });
    expect(await budgets.reserve('t', 'batch_s', toNanoUsd(1))).toMatchObject({ ok: true });
    const runLine = createBatchLinePipeline({
      batches,
      controlQueue,
      catalog,
      logger: createLogger({ service: 'line-test', level: 'error', stream: captureLines().stream }),
      ledger: new CostLedger(redis, keys),
      execute: createRequestExecutor({
        catalog,
        breaker: new CircuitBreaker(redis, keys),
        policy: { maxRetriesPerModel: 0, baseDelayMs: 10, maxDelayMs: 50, maxInlineWaitMs: 2000 },
        resolveModel: (entry) =>
          providers.has(entry.provider)
            ? providers.languageModel(entry.provider, entry.upstream_model)
            : undefined,
      }),
    });
    const job = await lineQueue.add('line', {
      batchId: 'batch_s',
      tenant: 't',
      index: 0,
      customId: 'line-0',
      model: 'sim-gpt-fast',
      request: { messages: [{ role: 'user', content: 'Name three queues.' }] },
      createdAt: Date.now(),
    });
    const usage = async () => {
      const report = await readUsageReport(redis, keys, 't', { group_by: [] });
      if ('error' in report) throw new Error(report.error);
      return report.totals;
    };
    await runLine(job);
    const once = await usage();
    expect(once.calls).toBe(1);
    const reserved = (await budgets.status('t')).reserved;
    expect(reserved).toBeLessThan(toNanoUsd(1));
    // The worker died after recording the line, before BullMQ marked its job complete: the
    // job is run again with the same data, and calls the provider again.
    await runLine(job);
    expect(simulator.counters().total).toBe(2);
    const twice = await usage();
    expect(twice.calls).toBe(2);
    expect(twice.cost_nano_usd).toBeGreaterThan(once.cost_nano_usd);
    expect(twice.input_tokens).toBe(2 * once.input_tokens);
    // Budgets count the spend; the line's part of the reservation is not freed a second time.
    expect((await budgets.status('t')).spentToday).toBe(twice.cost_nano_usd);
    expect((await budgets.status('t')).reserved).toBe(reserved);
    // The line is in the batch once.
    expect((await batches.get('batch_s'))?.counts).toEqual({
      total: 2,
      completed: 1,
      failed: 0,
      skipped: 0,
    });
    expect(await redis.llen(keys.batchOutput('batch_s'))).toBe(1);
  } finally {
    await lineQueue.close();
    await providers.close();
    await simulator.close();
  }
});

test('each line is counted once in llm_batch_requests_total, and the last one queues the finalisation', async () => {
  const batches = new BatchStore(redis, keys, { ttlSeconds: 120 });
  const metrics = createMetrics({ defaultMetrics: false });
  await createBatch(batches, 'batch_a', 3);
  const options = { batches, controlQueue, metrics };
  const line = (index: number) => ({ batchId: 'batch_a', index });
  await finishBatchLine(options, line(0), 'completed', '{"ok":1}');
  // A retried attempt of the same line (its first record survived) changes nothing.
  await finishBatchLine(options, line(0), 'completed', '{"ok":1}');
  await finishBatchLine(options, line(1), 'failed', '{"error":1}');
  expect(await controlQueue.getJob('finalize-batch_a')).toBeUndefined();
  await finishBatchLine(options, line(2), { skipped: 'expired' }, '{"error":2}');

  const { values } = await metrics.batchRequests.get();
  const byOutcome = Object.fromEntries(values.map((value) => [value.labels.outcome, value.value]));
  expect(byOutcome).toEqual({ completed: 1, failed: 1, expired: 1 });
  expect(await controlQueue.getJob('finalize-batch_a')).toBeDefined();
  expect((await batches.get('batch_a'))?.counts).toEqual({
    total: 3,
    completed: 1,
    failed: 1,
    skipped: 1,
  });
});
