import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { type Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisFileStorage } from '../files/redis-file-storage';
import { createQueue } from '../jobs/create-queue';
import { RedisKeys } from '../redis/redis-keys';
import { type BatchEndRecovery, BatchEndRepair } from './batch-end-repair';
import { BatchFinalizer } from './batch-finalizer';
import type { BatchIngester } from './batch-ingester';
import { batchControlJobDataSchema } from './batch-jobs';
import { completedBatchLine, skippedBatchLine } from './batch-output-line';
import { BatchStore } from './batch-store';
import { finalizeJobId, queueFinalize } from './queue-finalize';
import { readJsonlLines } from './read-jsonl-lines';
import { testIngester } from './test-support/test-ingester';

// Each test runs the first step of a transition (the script that moves the batch) and skips
// the second (the add of its control job), as a crash or a Redis error between the two does,
// then shows the batch end sweeper ends the batch: its final status, files and webhook event.

const graceMs = 10_000;

let redis: Redis;
let keys: RedisKeys;
let store: BatchStore;
let files: RedisFileStorage;
let controlQueue: Queue;
let lineQueue: Queue;
let ingester: BatchIngester;
let finalizer: BatchFinalizer;
let recovered: BatchEndRecovery[];
let repair: BatchEndRepair;
const closing: Array<() => Promise<unknown>> = [];

beforeEach(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  keys = new RedisKeys(uniquePrefix('test-batch-end'));
  store = new BatchStore(redis, keys, { ttlSeconds: 600 });
  files = new RedisFileStorage(redis, keys, { ttlSeconds: 600 });
  controlQueue = createQueue('batch-ingest', redis, keys);
  lineQueue = createQueue('batch-line', redis, keys);
  ingester = testIngester({
    store,
    files,
    lineQueue,
    controlQueue,
  });
  finalizer = new BatchFinalizer({ store, files });
  recovered = [];
  repair = new BatchEndRepair({
    store,
    controlQueue,
    ingester,
    onRecovered: (recovery) => recovered.push(recovery),
  });
});

afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close().catch(() => undefined);
  await Promise.all([controlQueue.close(), lineQueue.close()]);
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

/**
 * A batch of chat lines with these custom_ids, created as the API creates one (its jobs
 * confirmed queued: no longer listed pending); its ingest job is not added.
 */
async function createBatch(id: string, customIds: readonly string[]): Promise<void> {
  const writer = files.createWriter({
    id: `in-${id}`,
    tenant: 't',
    filename: 'in',
    purpose: 'batch',
  });
  const lines = customIds.map((customId) =>
    JSON.stringify({
      custom_id: customId,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { prompt: 'hi' },
    }),
  );
  await writer.write(Buffer.from(lines.join('\n')));
  await writer.commit();
  const now = Date.now();
  await store.create({
    id,
    tenant: 't',
    endpoint: '/v1/chat/completions',
    inputFileId: `in-${id}`,
    completionWindow: '24h',
    createdAt: now,
    expiresAt: now + 24 * 3600_000,
    reservedOutputFileId: `out-${id}`,
    reservedErrorFileId: `err-${id}`,
  });
  await store.pending.clear([id]);
}

/** Records line `index` as answered. */
function answer(id: string, index: number, customId: string) {
  const body = { id: `chatcmpl-${index}`, object: 'chat.completion', choices: [] };
  return store.recordLine(
    id,
    index,
    'completed',
    completedBatchLine(customId, `req-${index}`, body),
  );
}

/** Runs the sweep as it would run a grace period from now. */
function sweepLater() {
  return repair.sweep(graceMs, 500, Date.now() + graceMs + 1);
}

/**
 * A worker on the control queue, as the worker app runs it: finalise jobs end batches; an
 * ingest job throws (an ingest that fails its last attempt).
 */
function startControlWorker() {
  const connection = redis.duplicate();
  const worker = new Worker(
    controlQueue.name,
    async (job) => {
      const { batchId } = batchControlJobDataSchema.parse(job.data);
      if (job.name === 'batch-finalize') return finalizer.finalize(batchId);
      if (job.name === 'batch-ingest') throw new Error('the input cannot be read');
    },
    { connection, prefix: keys.prefix },
  );
  closing.push(
    () => connection.quit(),
    () => worker.close(),
  );
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The batch once it reached a final status. */
function ended(id: string) {
  return until(
    () => store.get(id),
    (batch) => !!batch && ['completed', 'failed', 'expired', 'cancelled'].includes(batch.status),
  );
}

async function readFile(fileId: string | undefined) {
  expect(fileId).toBeDefined();
  const lines: Array<{ custom_id: string; error: { code: string } | null }> = [];
  for await (const { text } of readJsonlLines(files.read(fileId ?? '')))
    lines.push(JSON.parse(text));
  return lines.map((line) => [line.custom_id, line.error?.code ?? 'answered']);
}

/** The statuses of the batch's webhook events in the outbox. */
async function webhookEvents(id: string): Promise<string[]> {
  const entries = await redis.xrange(keys.webhookOutbox(), '-', '+');
  return entries.flatMap(([, fields]) => {
    const record = new Map<string, string>();
    for (let index = 0; index + 1 < fields.length; index += 2)
      record.set(fields[index] ?? '', fields[index + 1] ?? '');
    return record.get('batch_id') === id ? [record.get('status') ?? ''] : [];
  });
}

function isListed(id: string) {
  return redis.zscore(keys.unendedBatches(), id).then((score) => score !== null);
}

/** Sweeps again later and checks nothing more happens to an ended batch. */
async function expectSettled(id: string, status: string) {
  await until(
    () => controlQueue.getJobState(finalizeJobId(id)),
    (state) => state === 'completed',
  );
  const before = recovered.length;
  await sweepLater();
  expect(recovered).toHaveLength(before);
  expect(await isListed(id)).toBe(false);
  expect(await webhookEvents(id)).toEqual([status]);
}

test('an ingest failed after queuing lines, its finalise job never added: the sweep ends it failed', async () => {
  await createBatch('b1', ['a', 'b', 'c']);
  await store.begin('b1', 3);
  expect(await answer('b1', 0, 'a')).toBe('recorded');
  const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
  expect(await store.failIngest('b1', errors)).toMatchObject({ outcome: 'finalize', notRun: 2 });
  // The add of its finalise job is skipped: the batch waits in finalizing with no job.
  expect(await store.get('b1')).toMatchObject({ status: 'finalizing' });
  startControlWorker();
  // Within the grace period nothing happens.
  expect(await repair.sweep(graceMs)).toMatchObject({ requeued: 0 });
  expect(await controlQueue.getJobState(finalizeJobId('b1'))).toBe('unknown');
  expect(await sweepLater()).toMatchObject({ checked: 1, requeued: 1 });
  expect(recovered).toEqual([
    { batchId: 'b1', action: 'finalize_requeued', jobState: 'unknown', linesNotRun: 0 },
  ]);
  const batch = await ended('b1');
  expect(batch).toMatchObject({
    status: 'failed',
    errors,
    counts: { total: 3, completed: 1, skipped: 2 },
  });
  expect(await readFile(batch?.outputFileId)).toEqual([['a', 'answered']]);
  expect(await readFile(batch?.errorFileId)).toEqual([
    ['b', 'batch_failed'],
    ['c', 'batch_failed'],
  ]);
  await expectSettled('b1', 'failed');
});

test('an ingest whose failing errored after it queued lines: the sweep fails the batch once its job has failed', async () => {
  await createBatch('b2', ['a', 'b', 'c']);
  await store.begin('b2', 3);
  await answer('b2', 0, 'a');
  // The ingest's last attempt fails; failing the batch (the next step) is skipped.
  await controlQueue.add('batch-ingest', { batchId: 'b2' }, { jobId: 'ingest-b2', attempts: 1 });
  startControlWorker();
  await until(
    () => controlQueue.getJobState('ingest-b2'),
    (state) => state === 'failed',
  );
  expect(await store.get('b2')).toMatchObject({ status: 'in_progress' });
  expect(await sweepLater()).toMatchObject({ requeued: 1 });
  expect(recovered).toEqual([
    {
      batchId: 'b2',
      action: 'ingest_failed',
      jobState: 'failed',
      linesNotRun: 2,
      stopReason: 'failed',
    },
  ]);
  const batch = await ended('b2');
  expect(batch).toMatchObject({
    status: 'failed',
    errors: [expect.objectContaining({ code: 'ingest_failed' })],
    counts: { total: 3, completed: 1, skipped: 2 },
  });
  expect(batch?.errors?.[0]?.message).toMatch(/stopped before it finished/);
  expect(await readFile(batch?.outputFileId)).toEqual([['a', 'answered']]);
  expect(await readFile(batch?.errorFileId)).toEqual([
    ['b', 'batch_failed'],
    ['c', 'batch_failed'],
  ]);
  await expectSettled('b2', 'failed');
});

test('a validating batch whose ingest job is gone ends failed at once, not at its expiry', async () => {
  await createBatch('b3', ['a']);
  expect(await sweepLater()).toMatchObject({ requeued: 1 });
  expect(recovered).toEqual([
    { batchId: 'b3', action: 'ingest_failed', jobState: 'unknown', linesNotRun: 0 },
  ]);
  expect(await store.get('b3')).toMatchObject({ status: 'failed' });
  expect(await webhookEvents('b3')).toEqual(['failed']);
  expect(await isListed('b3')).toBe(false);
  expect(await sweepLater()).toMatchObject({ checked: 0 });
});

test('the last line claimed finalisation, its finalise job never added: the sweep ends it completed', async () => {
  await createBatch('b4', ['a', 'b']);
  await store.begin('b4', 2);
  await store.markEnqueued('b4');
  expect(await answer('b4', 0, 'a')).toBe('recorded');
  // Every line queued, the finalisation not claimed yet: the lines decide, it is not listed.
  await sweepLater();
  expect(await isListed('b4')).toBe(false);
  expect(await answer('b4', 1, 'b')).toBe('last');
  expect(await isListed('b4')).toBe(true);
  startControlWorker();
  expect(await sweepLater()).toMatchObject({ requeued: 1 });
  const batch = await ended('b4');
  expect(batch).toMatchObject({ status: 'completed', counts: { total: 2, completed: 2 } });
  expect(await readFile(batch?.outputFileId)).toEqual([
    ['a', 'answered'],
    ['b', 'answered'],
  ]);
  await expectSettled('b4', 'completed');
});

test('a cancelled batch whose last line claimed finalisation in cancelling: the sweep ends it cancelled', async () => {
  await createBatch('b5', ['a', 'b']);
  await store.begin('b5', 2);
  await store.markEnqueued('b5');
  await answer('b5', 0, 'a');
  expect(await store.cancel('b5', 't')).toEqual({ outcome: 'cancelling' });
  expect(await store.recordLine('b5', 1, 'skipped', skippedBatchLine('b', 'cancelled'))).toBe(
    'last',
  );
  expect(await store.get('b5')).toMatchObject({ status: 'cancelling' });
  startControlWorker();
  expect(await sweepLater()).toMatchObject({ requeued: 1 });
  const batch = await ended('b5');
  expect(batch?.status).toBe('cancelled');
  expect(await readFile(batch?.outputFileId)).toEqual([['a', 'answered']]);
  expect(await readFile(batch?.errorFileId)).toEqual([['b', 'batch_cancelled']]);
  await expectSettled('b5', 'cancelled');
});

test('an expiry that claimed a validating batch, its finalise job never added: the sweep ends it expired', async () => {
  await createBatch('b6', ['a', 'b']);
  // Its ingest is waiting (a long backoff): only the expiry's lost add matters.
  await controlQueue.add('batch-ingest', { batchId: 'b6' }, { jobId: 'ingest-b6', delay: 60_000 });
  expect(await store.expire('b6')).toBe('finalize');
  startControlWorker();
  expect(await sweepLater()).toMatchObject({ requeued: 1 });
  const batch = await ended('b6');
  expect(batch).toMatchObject({ status: 'expired', counts: { total: 2, skipped: 2 } });
  expect(await readFile(batch?.errorFileId)).toEqual([
    ['a', 'batch_expired'],
    ['b', 'batch_expired'],
  ]);
  await expectSettled('b6', 'expired');
});

test('an ingest that found its batch cancelled claimed finalisation, its add lost: the sweep ends it cancelled', async () => {
  await createBatch('b7', ['a']);
  await store.cancel('b7', 't');
  expect(await store.claimFinalize('b7')).toBe(true);
  startControlWorker();
  expect(await sweepLater()).toMatchObject({ requeued: 1 });
  expect((await ended('b7'))?.status).toBe('cancelled');
  await expectSettled('b7', 'cancelled');
});

test('a finalise job that failed its last attempt is queued again, and the batch ends once', async () => {
  await createBatch('b8', ['a']);
  await store.begin('b8', 1);
  await store.markEnqueued('b8');
  expect(await answer('b8', 0, 'a')).toBe('last');
  // Its finalise job runs and fails its last attempt (a storage error, say).
  const connection = redis.duplicate();
  const failing = new Worker(
    controlQueue.name,
    async () => {
      throw new Error('storage down');
    },
    { connection, prefix: keys.prefix },
  );
  await controlQueue.add(
    'batch-finalize',
    { batchId: 'b8' },
    { jobId: finalizeJobId('b8'), attempts: 1 },
  );
  await until(
    () => controlQueue.getJobState(finalizeJobId('b8')),
    (state) => state === 'failed',
  );
  await failing.close();
  await connection.quit();
  // Adding it again under its id would add nothing while the failed job is kept.
  await queueFinalize(controlQueue, 'b8');
  expect(await controlQueue.getJobState(finalizeJobId('b8'))).toBe('failed');
  startControlWorker();
  expect(await sweepLater()).toMatchObject({ requeued: 1 });
  expect(recovered).toEqual([
    { batchId: 'b8', action: 'finalize_requeued', jobState: 'failed', linesNotRun: 0 },
  ]);
  const batch = await ended('b8');
  expect(batch?.status).toBe('completed');
  expect(await readFile(batch?.outputFileId)).toEqual([['a', 'answered']]);
  await expectSettled('b8', 'completed');
});

test('a batch whose job is still waiting, or that is still listed pending, is left alone', async () => {
  await createBatch('w1', ['a']);
  await store.begin('w1', 1);
  await store.markEnqueued('w1');
  await answer('w1', 0, 'a');
  await queueFinalize(controlQueue, 'w1');
  await createBatch('w2', ['a']);
  await controlQueue.add('batch-ingest', { batchId: 'w2' }, { jobId: 'ingest-w2' });
  await createBatch('w3', ['a']);
  await redis.zadd(keys.pendingBatches(), Date.now(), 'w3');
  expect(await sweepLater()).toMatchObject({ checked: 3, requeued: 0 });
  expect(recovered).toEqual([]);
  expect(await store.get('w1')).toMatchObject({ status: 'finalizing' });
  expect(await store.get('w2')).toMatchObject({ status: 'validating' });
  expect(await store.get('w3')).toMatchObject({ status: 'validating' });
  // Still watched: a job that waits now can be lost later.
  expect(await Promise.all(['w1', 'w2', 'w3'].map(isListed))).toEqual([true, true, true]);
});
