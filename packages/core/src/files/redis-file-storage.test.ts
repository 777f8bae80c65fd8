import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { RedisFileStorage } from './redis-file-storage';

let redis: Redis;
let keys: RedisKeys;
let storage: RedisFileStorage;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-files'));
  storage = new RedisFileStorage(redis, keys, { ttlSeconds: 600, chunkBytes: 10 });
});

afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

async function readAll(fileId: string): Promise<{ text: string; chunks: number }> {
  const parts: Buffer[] = [];
  for await (const chunk of storage.read(fileId)) parts.push(chunk);
  return { text: Buffer.concat(parts).toString(), chunks: parts.length };
}

test('a file is stored in fixed-size chunks, counted, and read back whole', async () => {
  const writer = storage.createWriter({
    id: 'file-1',
    tenant: 't',
    filename: 'a.jsonl',
    purpose: 'batch',
  });
  const text = 'line one\nline two\nthe third line';
  for (const part of ['line o', 'ne\nline two\n', 'the third line'])
    await writer.write(Buffer.from(part));
  expect(await storage.get('file-1')).toBeNull();
  const stored = await writer.commit({ filename: 'b.jsonl' });
  expect(stored).toMatchObject({ bytes: text.length, lines: 3, filename: 'b.jsonl', tenant: 't' });
  expect(await storage.get('file-1')).toEqual(stored);
  expect(await readAll('file-1')).toEqual({ text, chunks: Math.ceil(text.length / 10) });
  expect(await redis.ttl(keys.fileChunks('file-1'))).toBeGreaterThan(500);
});

test('rewriting an id replaces the old content; abort leaves nothing', async () => {
  const first = storage.createWriter({
    id: 'file-2',
    tenant: 't',
    filename: 'x',
    purpose: 'batch',
  });
  await first.write(Buffer.from('old content that is long\n'));
  await first.commit();
  const second = storage.createWriter({
    id: 'file-2',
    tenant: 't',
    filename: 'x',
    purpose: 'batch',
  });
  await second.write(Buffer.from('new\n'));
  await second.commit();
  expect((await readAll('file-2')).text).toBe('new\n');

  const aborted = storage.createWriter({
    id: 'file-3',
    tenant: 't',
    filename: 'x',
    purpose: 'batch',
  });
  await aborted.write(Buffer.from('0123456789abcdef'));
  await aborted.abort();
  expect(await redis.exists(keys.fileChunks('file-3'))).toBe(0);
  expect(await storage.get('file-3')).toBeNull();
});

test("a tenant's listing follows creation order, filters by purpose, and drops removed and expired files", async () => {
  const store = async (id: string, tenant: string, purpose: 'batch' | 'batch_output') => {
    const writer = storage.createWriter({ id, tenant, filename: `${id}.jsonl`, purpose });
    await writer.write(Buffer.from('{}\n'));
    await writer.commit();
  };
  await store('file-a', 't', 'batch');
  await store('file-b', 't', 'batch_output');
  await store('file-c', 't', 'batch');
  await store('file-x', 'other', 'batch');
  const ids = async (query: Parameters<RedisFileStorage['list']>[1], tenant = 't') =>
    (await storage.list(tenant, query)).files.map((file) => file.id);
  // Same-millisecond files keep a stable order (by id), so compare as sets here and order below.
  expect(new Set(await ids({ limit: 10, order: 'asc' }))).toEqual(
    new Set(['file-a', 'file-b', 'file-c']),
  );
  expect(await ids({ limit: 10, order: 'asc', purpose: 'batch' })).toHaveLength(2);
  expect(await ids({ limit: 10, order: 'desc', purpose: 'batch_output' })).toEqual(['file-b']);
  expect(await ids({ limit: 10, order: 'asc' }, 'other')).toEqual(['file-x']);
  const all = await ids({ limit: 10, order: 'asc' });
  const first = await storage.list('t', { limit: 1, order: 'asc' });
  expect(first.hasMore).toBe(true);
  const rest = await ids({ limit: 10, order: 'asc', after: all[0] });
  expect(rest).toEqual(all.slice(1));
  expect(await ids({ limit: 10, order: 'asc', after: 'file-unknown' })).toEqual([]);

  await storage.remove('file-a');
  expect(await ids({ limit: 10, order: 'asc', purpose: 'batch' })).toEqual(['file-c']);
  // An entry older than the TTL is pruned when listed, even if its hash were still there.
  await redis.zadd(keys.tenantFiles('t'), Date.now() - 601_000, 'file-c');
  expect(await ids({ limit: 10, order: 'asc' })).toEqual(['file-b']);
});
