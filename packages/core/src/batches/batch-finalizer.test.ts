import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisFileStorage } from '../files/redis-file-storage';
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
