import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisFileStorage } from '../files/redis-file-storage';
import { createQueue } from '../jobs/create-queue';
import { RedisKeys } from '../redis/redis-keys';
import { BatchFinalizer } from './batch-finalizer';
import { BatchStore } from './batch-store';
import { readJsonlLines } from './read-jsonl-lines';

let redis: Redis;
let keys: RedisKeys;
let store: BatchStore;
let files: RedisFileStorage;
let finalizer: BatchFinalizer;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-finalize'));
  store = new BatchStore(redis, keys, { ttlSeconds: 600 });
  files = new RedisFileStorage(redis, keys, { ttlSeconds: 600, chunkBytes: 64 });
  finalizer = new BatchFinalizer({ store, files });
});

afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

async function validatingBatch(id: string, text: string) {
  const writer = files.createWriter({
    id: `in-${id}`,
    tenant: 't',
    filename: 'in',
    purpose: 'batch',
  });
  await writer.write(Buffer.from(text));
  await writer.commit();
  await store.create({
    id,
    tenant: 't',
    endpoint: '/v1/chat/completions',
    inputFileId: `in-${id}`,
    completionWindow: '24h',
    createdAt: 1000,
    expiresAt: 2000,
    reservedOutputFileId: `out-${id}`,
    reservedErrorFileId: `err-${id}`,
  });
}

async function readFile(fileId: string) {
  const lines: Array<{ custom_id: string; response: null; error: { code: string } }> = [];
  for await (const { text } of readJsonlLines(files.read(fileId))) lines.push(JSON.parse(text));
  return lines;
}

const line = (customId: string) =>
  JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/chat/completions', body: {} });

test('a batch expired while validating lists each request of its file as batch_expired', async () => {
  await validatingBatch(
    'e1',
    [line('a'), 'not json', line('b'), '{"custom_id":7}', line('c')].join('\n'),
  );
  expect(await store.expire('e1')).toBe('finalize');
  expect(await finalizer.finalize('e1')).toBe('expired');
  // A retried finalisation finds the batch ended and lists nothing twice.
  expect(await finalizer.finalize('e1')).toBeNull();
  const batch = await store.get('e1');
  expect(batch).toMatchObject({
    status: 'expired',
    counts: { total: 3, completed: 0, failed: 0, skipped: 3 },
    errorFileId: 'err-e1',
  });
  expect(batch?.outputFileId).toBeUndefined();
  const errors = await readFile('err-e1');
  expect(errors.map((entry) => [entry.custom_id, entry.error.code, entry.response])).toEqual([
    ['a', 'batch_expired', null],
    ['b', 'batch_expired', null],
    ['c', 'batch_expired', null],
  ]);
});

test('a batch expired while validating whose file cannot be read still ends, listing nothing', async () => {
  await validatingBatch('e2', line('a'));
  await redis.del(keys.fileChunks('in-e2'));
  await redis.set(keys.fileChunks('in-e2'), 'not a list');
  expect(await store.expire('e2')).toBe('finalize');
  expect(await finalizer.finalize('e2')).toBe('expired');
  expect(await store.get('e2')).toMatchObject({
    status: 'expired',
    counts: { total: 0, skipped: 0 },
  });
  expect((await store.get('e2'))?.errorFileId).toBeUndefined();
});

test('a batch cancelled while validating, then expired, ends cancelled without reading its file', async () => {
  await validatingBatch('e3', line('a'));
  await store.cancel('e3', 't');
  expect(await store.expire('e3')).toBe('finalize');
  expect(await finalizer.finalize('e3')).toBe('cancelled');
  expect(await store.get('e3')).toMatchObject({ counts: { total: 0, skipped: 0 } });
});

test('a batch whose ingest gave up after it began ends failed: answers kept, the rest listed batch_failed', async () => {
  await validatingBatch('f1', [line('a'), line('b'), line('c'), line('d')].join('\n'));
  await store.begin('f1', 4);
  await store.recordLine('f1', 1, 'completed', JSON.stringify({ custom_id: 'b', answer: 1 }));
  const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
  expect(await store.failIngest('f1', errors)).toMatchObject({ outcome: 'finalize', notRun: 3 });
  expect(await finalizer.finalize('f1')).toBe('failed');
  const batch = await store.get('f1');
  expect(batch).toMatchObject({
    status: 'failed',
    errors,
    counts: { total: 4, completed: 1, failed: 0, skipped: 3 },
    outputFileId: 'out-f1',
    errorFileId: 'err-f1',
  });
  expect((await readFile('out-f1')).map((entry) => entry.custom_id)).toEqual(['b']);
  const notRun = await readFile('err-f1');
  expect(notRun.map((entry) => [entry.custom_id, entry.error.code])).toEqual([
    ['a', 'batch_failed'],
    ['c', 'batch_failed'],
    ['d', 'batch_failed'],
  ]);
  expect(await redis.exists(keys.batchRecordedAtFailure('f1'))).toBe(0);
});

test('a failed batch lists its requests not run from the custom_ids stored with it when its file cannot be read', async () => {
  await store.create({
    id: 'f2',
    tenant: 't',
    endpoint: '/v1/messages',
    inputFileId: 'in-missing',
    completionWindow: '24h',
    createdAt: 1000,
    expiresAt: 2000,
    reservedOutputFileId: 'out-f2',
    reservedErrorFileId: 'err-f2',
    total: 3,
    customIds: ['x', 'y', 'z'],
  });
  await store.begin('f2', 3);
  await store.recordLine(
    'f2',
    2,
    'failed',
    JSON.stringify({ custom_id: 'z', error: { code: 'provider_error' } }),
  );
  const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
  expect(await store.failIngest('f2', errors)).toMatchObject({ outcome: 'finalize', notRun: 2 });
  expect(await finalizer.finalize('f2')).toBe('failed');
  expect((await readFile('err-f2')).map((entry) => [entry.custom_id, entry.error.code])).toEqual([
    ['z', 'provider_error'],
    ['x', 'batch_failed'],
    ['y', 'batch_failed'],
  ]);
});

test('a failed batch whose file cannot be read still ends failed, listing nothing', async () => {
  await validatingBatch('f3', [line('a'), line('b')].join('\n'));
  await store.begin('f3', 2);
  await redis.del(keys.fileChunks('in-f3'));
  await redis.set(keys.fileChunks('in-f3'), 'not a list');
  const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
  expect(await store.failIngest('f3', errors)).toMatchObject({ outcome: 'finalize', notRun: 2 });
  expect(await finalizer.finalize('f3')).toBe('failed');
  expect(await store.get('f3')).toMatchObject({
    status: 'failed',
    counts: { total: 2, skipped: 2 },
  });
  expect((await store.get('f3'))?.errorFileId).toBeUndefined();
});

test('a failed batch whose file cannot be read lists its queued lines not run by their jobs', async () => {
  await validatingBatch('f4', [line('a'), line('b'), line('c')].join('\n'));
  await store.begin('f4', 3);
  // Lines a and b were queued (as the ingester queues them), c never was; a was answered.
  const lineQueue = createQueue('batch-line', redis, keys);
  try {
    for (const [index, customId] of ['a', 'b'].entries())
      await lineQueue.add(
        'batch-line',
        { batchId: 'f4', tenant: 't', index, customId, model: 'sim-gpt-fast', createdAt: 1 },
        { jobId: `f4-${index}` },
      );
    await store.recordLine('f4', 0, 'completed', JSON.stringify({ custom_id: 'a', answer: 1 }));
    await redis.del(keys.fileChunks('in-f4'));
    await redis.set(keys.fileChunks('in-f4'), 'not a list');
    const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
    expect(await store.failIngest('f4', errors)).toMatchObject({ outcome: 'finalize', notRun: 2 });
    const withLines = new BatchFinalizer({ store, files, lineQueue });
    expect(await withLines.finalize('f4')).toBe('failed');
    expect(await store.get('f4')).toMatchObject({ counts: { total: 3, completed: 1, skipped: 2 } });
    // b is named by its job; c was never queued and its file cannot be read: counted only.
    expect((await readFile('err-f4')).map((entry) => [entry.custom_id, entry.error.code])).toEqual([
      ['b', 'batch_failed'],
    ]);
  } finally {
    await lineQueue.close();
  }
});

test('a batch whose ingest gave up after it began, no line recorded yet, lists every request batch_failed', async () => {
  await validatingBatch('f5', [line('a'), line('b')].join('\n'));
  await store.begin('f5', 2);
  const errors = [{ code: 'ingest_failed', message: 'fixed', param: null, line: null }];
  expect(await store.failIngest('f5', errors)).toMatchObject({ outcome: 'finalize', notRun: 2 });
  expect(await finalizer.finalize('f5')).toBe('failed');
  expect((await readFile('err-f5')).map((entry) => [entry.custom_id, entry.error.code])).toEqual([
    ['a', 'batch_failed'],
    ['b', 'batch_failed'],
  ]);
});
