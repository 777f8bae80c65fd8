import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { type Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisFileStorage } from '../files/redis-file-storage';
import { createQueue } from '../jobs/create-queue';
import { SubmissionSweeper } from '../jobs/submission-sweeper';
import { RedisKeys } from '../redis/redis-keys';
import { BatchAcceptRepair } from './batch-accept-repair';
import { batchControlJobDataSchema } from './batch-jobs';
import { BatchService } from './batch-service';
import { BatchStore } from './batch-store';
import { testIngester } from './test-support/test-ingester';

const limits = { maxFileBytes: 1_000_000, maxLines: 100 };

let redis: Redis;
let keys: RedisKeys;
let store: BatchStore;
let files: RedisFileStorage;
let controlQueue: Queue;
let lineQueue: Queue;
let repair: BatchAcceptRepair;
const closing: Array<() => Promise<unknown>> = [];

beforeEach(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  keys = new RedisKeys(uniquePrefix('test-batch-accept'));
  store = new BatchStore(redis, keys, { ttlSeconds: 600 });
  files = new RedisFileStorage(redis, keys, { ttlSeconds: 600 });
  controlQueue = createQueue('batch-ingest', redis, keys);
  lineQueue = createQueue('batch-line', redis, keys);
  repair = new BatchAcceptRepair(store.pending, controlQueue);
});

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close().catch(() => undefined);
  await Promise.all([controlQueue.close(), lineQueue.close()]);
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

/** A batch input file of `count` chat lines; returns its id. */
async function upload(count: number): Promise<string> {
  const id = `file-${count}-${Date.now()}`;
  const writer = files.createWriter({ id, tenant: 't', filename: 'in', purpose: 'batch' });
  const lines = Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      custom_id: `c${index}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { prompt: 'hi' },
    }),
  );
  await writer.write(Buffer.from(lines.join('\n')));
  await writer.commit();
  return id;
}

/**
 * The batch-control queue on a connection that is gone: its adds fail with a real connection
 * error, as when Redis fails between a batch's record and its jobs.
 */
async function unreachableControlQueue(): Promise<Queue> {
  const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const queue = createQueue('batch-ingest', connection, keys);
  await queue.waitUntilReady();
  connection.disconnect();
  closing.push(() => queue.close());
  return queue;
}

/** A batch record written by a create that died before queueing its jobs. */
async function recordOnly(id: string, inputFileId: string, createdAt = Date.now()) {
  await store.create({
    id,
    tenant: 't',
    endpoint: '/v1/chat/completions',
    inputFileId,
    completionWindow: '24h',
    createdAt,
    expiresAt: createdAt + 3_600_000,
    reservedOutputFileId: `${id}-out`,
    reservedErrorFileId: `${id}-err`,
  });
}

/** Runs the control queue's ingest jobs with a real BullMQ worker and a real ingester. */
function ingestWorker() {
  const ingester = testIngester({
    store,
    files,
    lineQueue,
    controlQueue,
  });
  const [workerConnection, eventsConnection] = [redis.duplicate(), redis.duplicate()];
  const worker = new Worker(
    controlQueue.name,
    async (job) => {
      if (job.name === 'batch-ingest')
        return ingester.ingest(batchControlJobDataSchema.parse(job.data).batchId);
    },
    { connection: workerConnection, prefix: keys.prefix },
  );
  const events = new QueueEvents(controlQueue.name, {
    connection: eventsConnection,
    prefix: keys.prefix,
  });
  closing.push(
    () => workerConnection.quit(),
    () => eventsConnection.quit(),
    () => worker.close(),
    () => events.close(),
  );
  return events;
}

test('a create whose job adds fail leaves its batch pending; the sweep queues its ingest and expiry, and it runs', async () => {
  const service = new BatchService({
    store,
    files,
    controlQueue: await unreachableControlQueue(),
    limits,
  });
  const inputFileId = await upload(2);
  await expect(
    service.create(
      't',
      { input_file_id: inputFileId, endpoint: '/v1/chat/completions', completion_window: '2h' },
      { batchId: 'batch_a' },
    ),
  ).rejects.toThrow();
  // The record was written before the adds failed: the batch exists, with no job to run it.
  expect(await store.get('batch_a')).toMatchObject({ status: 'validating' });
  expect(await controlQueue.getJob('ingest-batch_a')).toBeUndefined();

  const now = Date.now();
  await expect(repair.sweep(60_000, 500, now)).resolves.toEqual({
    checked: 0,
    requeued: 0,
    lost: 0,
  });
  await expect(repair.sweep(0, 500, now + 1)).resolves.toEqual({
    checked: 1,
    requeued: 1,
    lost: 0,
  });
  expect(await store.pending.listedBefore(now + 1, 10)).toEqual([]);
  const expire = await controlQueue.getJob('expire-batch_a');
  expect(await expire?.getState()).toBe('delayed');
  // Its expiry keeps the batch's own window (2 h from its creation), not a new one.
  expect(expire?.opts.delay).toBeGreaterThan(7_000_000);
  expect(expire?.opts.delay).toBeLessThanOrEqual(7_200_000);

  const ingest = await controlQueue.getJob('ingest-batch_a');
  expect(ingest?.data).toEqual({ batchId: 'batch_a' });
  const events = ingestWorker();
  await expect(ingest?.waitUntilFinished(events)).resolves.toBe('enqueued');
  expect(await store.get('batch_a')).toMatchObject({
    status: 'in_progress',
    linesEnqueued: true,
  });
  expect(await lineQueue.count()).toBe(2);
});

test('a replay queues the jobs of a batch whose create died, and only those', async () => {
  const inputFileId = await upload(1);
  // Created normally: its jobs were confirmed, nothing is listed, nothing to do.
  const service = new BatchService({ store, files, controlQueue, limits });
  const created = await service.create('t', {
    input_file_id: inputFileId,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  await expect(service.ensureQueued(created.id)).resolves.toBe('queued');
  expect(await store.pending.listedBefore(Date.now() + 1, 10)).toEqual([]);

  // Died after its record; cancelled since: its ingest must still run, to end it.
  await recordOnly('batch_cancelled', inputFileId);
  await store.cancel('batch_cancelled', 't');
  await expect(repair.ensureQueued('batch_cancelled')).resolves.toBe('requeued');
  await expect(repair.ensureQueued('batch_cancelled')).resolves.toBe('queued');
  const events = ingestWorker();
  const ingest = await controlQueue.getJob('ingest-batch_cancelled');
  await expect(ingest?.waitUntilFinished(events)).resolves.toBe('cancelled');
  expect(await controlQueue.getJob('finalize-batch_cancelled')).toBeDefined();

  // Its ingest began (the create's adds went through, only its answer was lost): cleared only.
  await recordOnly('batch_begun', inputFileId);
  await store.begin('batch_begun', 1);
  await expect(repair.ensureQueued('batch_begun')).resolves.toBe('not_needed');
  expect(await controlQueue.getJob('ingest-batch_begun')).toBeUndefined();
  expect(await store.pending.isListed('batch_begun')).toBe(false);
});

test('the batch sweeper sweeps under its own lease, on the worker holding it', async () => {
  await recordOnly('batch_old', await upload(1), Date.now() - 60_000);
  const repaired: number[] = [];
  const sweeper = () =>
    new SubmissionSweeper({
      redis,
      keys,
      lease: keys.batchSweepLease(),
      repair,
      intervalMs: 60_000,
      graceMs: 10_000,
      onRepair: (tally) => repaired.push(tally.requeued),
    });
  await redis.set(keys.batchSweepLease(), 'another-worker', 'PX', 60_000);
  await sweeper().tick();
  expect(repaired).toEqual([]);
  expect(await controlQueue.getJob('ingest-batch_old')).toBeUndefined();
  // The jobs' sweep lease is another lease: holding it does not stop this one.
  await redis.del(keys.batchSweepLease());
  await redis.set(keys.submissionSweepLease(), 'another-worker', 'PX', 60_000);
  await sweeper().tick();
  expect(repaired).toEqual([1]);
  expect(await controlQueue.getJob('ingest-batch_old')).toBeDefined();
});
