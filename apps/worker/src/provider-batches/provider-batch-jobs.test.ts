import {
  BatchIngester,
  BatchStore,
  BatchTurnarounds,
  batchLineJobDataSchema,
  createLogger,
  createQueue,
  loadModelCatalog,
  OpenAIBatchClient,
  ProviderBatchStore,
  RedisFileStorage,
  RedisKeys,
} from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ProviderBatchJobs } from './provider-batch-jobs';
import { ProviderLineSettler } from './settle-provider-line';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let now = Date.now();
const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});

const parseLine = (value: unknown) => batchLineJobDataSchema.parse(value);

let redis: Redis;
let keys: RedisKeys;
let batches: BatchStore;
let store: ProviderBatchStore;
let lineQueue: Queue;
let controlQueue: Queue;
let jobs: ProviderBatchJobs;

beforeAll(async () => {
  simulator = await startSimulator({ clock: () => now });
});
afterAll(async () => {
  await simulator.close();
});

beforeEach(() => {
  simulator.reset();
  simulator.configure({ batches: { turnaroundMs: 60_000 } });
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  keys = new RedisKeys(uniquePrefix('test-pb-jobs'));
  batches = new BatchStore(redis, keys, { ttlSeconds: 600 });
  store = new ProviderBatchStore(redis, keys, { ttlSeconds: 600 });
  lineQueue = createQueue('batch-line', redis, keys);
  controlQueue = createQueue('batch-ingest', redis, keys);
  const client = new OpenAIBatchClient({
    provider: 'simulator-openai',
    apiKey: 'sim',
    baseURL: `${simulator.url}/v1`,
  });
  jobs = new ProviderBatchJobs({
    store,
    batches,
    clients: new Map([['simulator-openai', client]]),
    catalog,
    controlQueue,
    pollIntervalMs: 60_000,
    turnarounds: new BatchTurnarounds(redis, keys),
    logger: createLogger({ service: 'test', level: 'error' }),
    settler: new ProviderLineSettler({
      batches,
      controlQueue,
      catalog,
      lineQueue,
      attempts: 2,
    }),
  });
});

afterEach(async () => {
  await Promise.all([lineQueue.close(), controlQueue.close()]);
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

/** A batch of `count` sim-gpt-fast lines pinned to the batch tier, ingested. */
async function ingestedBatch(id: string, count: number, completeInMs = 86_400_000) {
  const files = new RedisFileStorage(redis, keys, { ttlSeconds: 600 });
  const writer = files.createWriter({
    id: `file-${id}`,
    tenant: 't',
    filename: 'in',
    purpose: 'batch',
  });
  const lines = Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      custom_id: `c${index}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: `echo: ${index}` }] },
    }),
  );
  await writer.write(Buffer.from(lines.join('\n')));
  await writer.commit();
  await batches.create({
    id,
    tenant: 't',
    endpoint: '/v1/chat/completions',
    inputFileId: `file-${id}`,
    completionWindow: '24h',
    createdAt: Date.now(),
    expiresAt: Date.now() + completeInMs,
    serviceTier: 'batch',
    reservedOutputFileId: 'file-out',
    reservedErrorFileId: 'file-err',
  });
  const ingester = new BatchIngester({
    store: batches,
    files,
    lineQueue,
    controlQueue,
    catalog,
    defaultModel: 'sim-gpt-fast',
    attempts: 2,
    limits: { maxFileBytes: 10_000_000, maxLines: 10_000 },
    providerBatches: { store, providers: new Set(['simulator-openai']) },
  });
  expect(await ingester.ingest(id)).toBe('enqueued');
  expect(await lineQueue.count()).toBe(0);
}

/** Undoes a poll's last step, as a worker killed before it noted the end would leave it. */
async function undoEnd(id: string, lines: readonly object[]) {
  await redis.hset(keys.providerBatch(id), 'status', 'submitted');
  await redis.rpush(keys.providerBatchLines(id), ...lines.map((line) => JSON.stringify(line)));
}

test('maps every result back once, and a re-poll after a crash maps nothing twice', async () => {
  simulator.configure({ batches: { lineFailureRate: 0.2 } });
  await ingestedBatch('b1', 200);
  await jobs.submit('b1-pb0');
  expect(await store.get('b1-pb0')).toMatchObject({ status: 'submitted' });
  expect(await controlQueue.getJob('pbpoll-b1-pb0-1')).toBeDefined();
  const lines = await store.lines('b1-pb0', parseLine);
  now += 60_000;
  await jobs.poll('b1-pb0', 1);
  expect(await store.get('b1-pb0')).toMatchObject({ status: 'ended' });
  const mapped = await batches.get('b1');
  expect(mapped?.counts.completed).toBeGreaterThan(100);
  // The lines the provider failed are run by llmq on standard, each queued once.
  const rerun = await lineQueue.count();
  expect(rerun).toBeGreaterThan(0);
  expect((mapped?.counts.completed ?? 0) + rerun).toBe(200);
  const queued = await lineQueue.getJobs(['waiting', 'prioritized']);
  expect(queued.every((job) => job.data.serviceTier === undefined)).toBe(true);

  await undoEnd('b1-pb0', lines);
  await jobs.poll('b1-pb0', 1);
  const again = await batches.get('b1');
  expect(again?.counts).toEqual(mapped?.counts);
  expect(again?.usage).toEqual(mapped?.usage);
  expect(await lineQueue.count()).toBe(rerun);
});

test('the last mapped line queues the batch finalisation', async () => {
  await ingestedBatch('b2', 50);
  await jobs.submit('b2-pb0');
  now += 60_000;
  await jobs.poll('b2-pb0', 1);
  const batch = await batches.get('b2');
  expect(batch?.counts).toMatchObject({ total: 50, completed: 50, failed: 0 });
  expect(batch?.usage.inputTokens).toBeGreaterThan(0);
  expect(await controlQueue.getJob('finalize-b2')).toBeDefined();
  // Its turnaround is measured for the next choices.
  const turnaround = 'simulator-openai|sim-gpt-fast';
  expect(await redis.hexists(keys.providerBatchTurnarounds(), turnaround)).toBe(1);
});

test('cancels a provider batch that will miss its deadline; answered lines keep their answer', async () => {
  // Due in 10 minutes, while the catalog expects an hour: cancelled at the first poll.
  await ingestedBatch('b3', 40, 600_000);
  await jobs.submit('b3-pb0');
  now += 30_000;
  await jobs.poll('b3-pb0', 1);
  expect(await store.get('b3-pb0')).toMatchObject({ cancelReason: 'deadline' });
  await jobs.poll('b3-pb0', 2);
  const batch = await batches.get('b3');
  expect(batch?.counts.completed).toBe(20);
  expect(await lineQueue.count()).toBe(20);
  expect(await store.get('b3-pb0')).toMatchObject({ status: 'ended' });
  // A cancelled batch measures nothing.
  expect(await redis.exists(keys.providerBatchTurnarounds())).toBe(0);
});

test('a batch cancelled in llmq cancels its provider batch; answered lines stay, the rest end skipped', async () => {
  await ingestedBatch('b4', 40);
  await jobs.submit('b4-pb0');
  now += 15_000;
  expect(await batches.cancel('b4', 't')).toEqual({ outcome: 'cancelling' });
  await jobs.poll('b4-pb0', 1);
  expect(await store.get('b4-pb0')).toMatchObject({ cancelReason: 'stopped' });
  await jobs.poll('b4-pb0', 2);
  const batch = await batches.get('b4');
  expect(batch?.counts).toMatchObject({ total: 40, completed: 10, skipped: 30 });
  expect(await lineQueue.count()).toBe(0);
});

test('a submit job that stalled out is resumed: polled when submitted, else run by llmq', async () => {
  await ingestedBatch('b5', 5);
  await ingestedBatch('b6', 5);
  await jobs.submit('b5-pb0');
  await controlQueue.remove('pbpoll-b5-pb0-1');
  await jobs.recoverSubmit('b5-pb0');
  expect(await controlQueue.getJob('pbpoll-b5-pb0-1')).toBeDefined();
  // Never submitted: llmq runs its lines itself, on standard.
  await jobs.recoverSubmit('b6-pb0');
  expect(await store.get('b6-pb0')).toMatchObject({ status: 'ended' });
  const queued = await lineQueue.getJobs(['waiting', 'prioritized']);
  expect(queued.map((job) => job.id).sort()).toEqual(['b6-0', 'b6-1', 'b6-2', 'b6-3', 'b6-4']);
});
