import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BatchIngester } from '../batches/batch-ingester';
import { batchLineJobDataSchema } from '../batches/batch-jobs';
import { BatchStore } from '../batches/batch-store';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { RedisFileStorage } from '../files/redis-file-storage';
import { createQueue } from '../jobs/create-queue';
import { RedisKeys } from '../redis/redis-keys';
import { BatchTurnarounds } from './batch-turnarounds';
import { ProviderBatchStore } from './provider-batch-store';

const parseLine = (value: unknown) => batchLineJobDataSchema.parse(value);

let redis: Redis;
let keys: RedisKeys;
let batches: BatchStore;
let providerBatches: ProviderBatchStore;
let files: RedisFileStorage;
let lineQueue: Queue;
let controlQueue: Queue;

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});

beforeEach(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  keys = new RedisKeys(uniquePrefix('test-pb-ingest'));
  batches = new BatchStore(redis, keys, { ttlSeconds: 600 });
  providerBatches = new ProviderBatchStore(redis, keys, { ttlSeconds: 600 });
  files = new RedisFileStorage(redis, keys, { ttlSeconds: 600 });
  lineQueue = createQueue('batch-line', redis, keys);
  controlQueue = createQueue('batch-ingest', redis, keys);
});

afterEach(async () => {
  await Promise.all([lineQueue.close(), controlQueue.close()]);
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

function ingester(providers: string[], turnarounds?: BatchTurnarounds) {
  return new BatchIngester({
    store: batches,
    files,
    lineQueue,
    controlQueue,
    catalog,
    defaultModel: 'sim-gpt-fast',
    attempts: 2,
    limits: { maxFileBytes: 1_000_000, maxLines: 100 },
    providerBatches: { store: providerBatches, providers: new Set(providers), turnarounds },
  });
}

const line = (customId: string, model: string) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: `hi ${customId}` }], max_tokens: 5 },
  });

async function pinnedBatch(
  id: string,
  models: string[],
  {
    serviceTier = 'batch',
    dueInMs = 86_400_000,
  }: { serviceTier?: 'batch' | 'auto'; dueInMs?: number } = {},
) {
  const writer = files.createWriter({
    id: `file-${id}`,
    tenant: 't',
    filename: 'in',
    purpose: 'batch',
  });
  await writer.write(
    Buffer.from(models.map((model, index) => line(`c${index}`, model)).join('\n')),
  );
  await writer.commit();
  const now = Date.now();
  await batches.create({
    id,
    tenant: 't',
    endpoint: '/v1/chat/completions',
    inputFileId: `file-${id}`,
    completionWindow: '24h',
    createdAt: now,
    expiresAt: now + dueInMs,
    serviceTier,
    reservedOutputFileId: 'file-out',
    reservedErrorFileId: 'file-err',
  });
}

test('lines pinned to batch go to provider batches by account and model; the rest to the bulk lane', async () => {
  const models = [
    'sim-gpt-fast',
    'sim-claude-fast',
    'sim-gpt-fast',
    'sim-local-llama',
    'sim-gpt-fast',
  ];
  await pinnedBatch('b1', models);
  expect(await ingester(['simulator-openai', 'simulator-anthropic']).ingest('b1')).toBe('enqueued');
  // Only the local model's line (no batch tier) is queued for llmq's own run.
  expect(await lineQueue.count()).toBe(1);
  expect((await lineQueue.getJob('b1-3'))?.data).toMatchObject({ model: 'sim-local-llama' });
  const openai = await providerBatches.get('b1-pb0');
  const anthropic = await providerBatches.get('b1-pb1');
  expect(openai).toMatchObject({
    batchId: 'b1',
    provider: 'simulator-openai',
    upstreamModel: 'sim-gpt-fast',
    status: 'pending',
    lines: 3,
  });
  expect(anthropic).toMatchObject({ provider: 'simulator-anthropic', lines: 1 });
  const lines = await providerBatches.lines('b1-pb0', parseLine);
  expect(lines.map((data) => [data.index, data.customId, data.serviceTier])).toEqual([
    [0, 'c0', 'batch'],
    [2, 'c2', 'batch'],
    [4, 'c4', 'batch'],
  ]);
  expect(await controlQueue.getJob('pbsubmit-b1-pb0')).toBeDefined();
  expect(await controlQueue.getJob('pbsubmit-b1-pb1')).toBeDefined();
  expect((await batches.get('b1'))?.counts.total).toBe(5);
});

test('a submitted provider batch is not rewritten by a retried ingest', async () => {
  await pinnedBatch('b2', ['sim-gpt-fast']);
  await ingester(['simulator-openai']).ingest('b2');
  const record = await providerBatches.get('b2-pb0');
  expect(record).toBeDefined();
  if (!record) return;
  await providerBatches.markSubmitted(record.id, 'batch_provider_1');
  expect(await providerBatches.create(record, [])).toBe(false);
  expect(await providerBatches.get('b2-pb0')).toMatchObject({
    status: 'submitted',
    providerBatchId: 'batch_provider_1',
  });
  expect(await providerBatches.lines('b2-pb0', parseLine)).toHaveLength(1);
});

test('without a batch client for the account, pinned lines run in llmq', async () => {
  await pinnedBatch('b3', ['sim-gpt-fast', 'sim-claude-fast']);
  await ingester(['simulator-anthropic']).ingest('b3');
  expect(await lineQueue.count()).toBe(1);
  expect((await lineQueue.getJob('b3-0'))?.data.serviceTier).toBeUndefined();
  expect(await providerBatches.get('b3-pb0')).toMatchObject({ provider: 'simulator-anthropic' });
});

test('the choice takes the measured turnaround over the catalog', async () => {
  const turnarounds = new BatchTurnarounds(redis, keys);
  const twoHours = { serviceTier: 'auto' as const, dueInMs: 2 * 3_600_000 };
  // The catalog expects an hour: a Claude-style line (no flex) due in two takes the batch tier.
  await pinnedBatch('b4', ['sim-claude-fast'], twoHours);
  await ingester(['simulator-anthropic'], turnarounds).ingest('b4');
  expect(await providerBatches.get('b4-pb0')).toMatchObject({ lines: 1 });
  // Measured at three hours, the provider batch no longer meets the deadline: standard.
  await turnarounds.record('simulator-anthropic', 'sim-claude-fast', 3 * 3_600_000);
  expect(await turnarounds.get('simulator-anthropic', 'sim-claude-fast')).toBe(3 * 3_600_000);
  await pinnedBatch('b5', ['sim-claude-fast'], twoHours);
  await ingester(['simulator-anthropic'], turnarounds).ingest('b5');
  expect(await providerBatches.get('b5-pb0')).toBeUndefined();
  expect(await lineQueue.getJob('b5-0')).toBeDefined();
});

test('measured turnarounds are a moving average per account and model', async () => {
  const turnarounds = new BatchTurnarounds(redis, keys);
  await turnarounds.record('simulator-openai', 'sim-gpt-fast', 1_000);
  await turnarounds.record('simulator-openai', 'sim-gpt-fast', 2_000);
  expect(await turnarounds.get('simulator-openai', 'sim-gpt-fast')).toBe(1_300);
  const lookup = await turnarounds.snapshot();
  expect(lookup('simulator-openai', 'sim-gpt-fast')).toBe(1_300);
  expect(lookup('simulator-openai', 'sim-gpt-strong')).toBeUndefined();
});
