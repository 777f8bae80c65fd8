import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { JobStore, type RunningCap } from './job-store';

let redis: Redis;
let keys: RedisKeys;
let store: JobStore;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-start-gates'));
  store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

async function newJob(id: string, startBy?: number) {
  await store.create({
    id,
    tenant: 'acme',
    model: 'sim-gpt-fast',
    priority: 5,
    createdAt: 1000,
    lane: 'standard',
    ...(startBy !== undefined ? { startBy } : {}),
  });
  return id;
}

const failure = { code: 'provider_timeout' as const, message: 'timed out' };

describe('JobStore.start: start deadline', () => {
  it('refuses a job never started once its deadline passed, and keeps the record queued', async () => {
    await newJob('late', 5000);
    expect(await store.start('late', 5001, { startBy: 5000 })).toEqual({ outcome: 'expired' });
    expect((await store.get('late'))?.status).toBe('queued');
    expect((await store.get('late'))?.attempts).toBe(0);
    expect((await store.get('late'))?.startBy).toBe(5000);
  });

  it('starts a job before its deadline, and lets it retry after the deadline', async () => {
    await newJob('early', 5000);
    expect(await store.start('early', 4000, { startBy: 5000 })).toEqual({
      outcome: 'started',
      startedAt: 4000,
    });
    // It started in time: a retry later is not a late start.
    await store.requeue('early', failure);
    expect(await store.start('early', 9000, { startBy: 5000 })).toMatchObject({
      outcome: 'started',
    });
  });
});

describe('JobStore.start: running-job caps', () => {
  const cap: RunningCap = { scope: 'tenant:acme', limit: 2 };

  it('lets at most `limit` jobs be active under one cap, and frees a place when one ends', async () => {
    for (const id of ['a', 'b', 'c']) await newJob(id);
    expect((await store.start('a', 1, { caps: [cap] })).outcome).toBe('started');
    expect((await store.start('b', 2, { caps: [cap] })).outcome).toBe('started');
    expect(await store.start('c', 3, { caps: [cap] })).toEqual({ outcome: 'capped', running: 2 });
    // The capped job was not touched: still queued, no attempt counted.
    expect(await store.get('c')).toMatchObject({ status: 'queued', attempts: 0 });

    await store.fail('a', failure);
    expect((await store.start('c', 4, { caps: [cap] })).outcome).toBe('started');
  });

  it('frees the place of a job waiting for a retry, and counts it again when it restarts', async () => {
    for (const id of ['a', 'b']) await newJob(id);
    const one: RunningCap = { scope: 'key:k1', limit: 1 };
    expect((await store.start('a', 1, { caps: [one] })).outcome).toBe('started');
    await store.requeue('a', failure);
    expect((await store.start('b', 2, { caps: [one] })).outcome).toBe('started');
    // `a` comes back from its backoff while `b` runs: it waits.
    expect((await store.start('a', 3, { caps: [one] })).outcome).toBe('capped');
  });

  it('lets a stalled job (still active) run again without a second place', async () => {
    await newJob('a');
    const one: RunningCap = { scope: 'tenant:acme', limit: 1 };
    expect((await store.start('a', 1, { caps: [one] })).outcome).toBe('started');
    expect((await store.start('a', 2, { caps: [one] })).outcome).toBe('started');
    expect(await redis.zcard(keys.runningJobs('tenant:acme'))).toBe(1);
  });

  it('applies every cap: the key cap holds while the tenant cap has room', async () => {
    for (const id of ['a', 'b']) await newJob(id);
    const caps: RunningCap[] = [
      { scope: 'tenant:acme', limit: 5 },
      { scope: 'key:k1', limit: 1 },
    ];
    expect((await store.start('a', 1, { caps })).outcome).toBe('started');
    expect((await store.start('b', 2, { caps })).outcome).toBe('capped');
    // Another key of the same tenant has its own place.
    const otherKey: RunningCap[] = [caps[0] as RunningCap, { scope: 'key:k2', limit: 1 }];
    expect((await store.start('b', 3, { caps: otherKey })).outcome).toBe('started');
  });
});
