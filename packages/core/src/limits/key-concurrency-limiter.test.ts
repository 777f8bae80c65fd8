import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { KeyConcurrencyLimiter } from './key-concurrency-limiter';

let redis: Redis;
let keys: RedisKeys;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-key-concurrency'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const writeJob = (id: string, status: string) => redis.hset(keys.job(id), 'status', status);

describe('key concurrency limiter (real Redis)', () => {
  it('holds a place per unfinished job and frees it when the job ends, however it ends', async () => {
    const limiter = new KeyConcurrencyLimiter(redis, keys);
    // A second limiter on its own connection plays another API instance.
    const otherConnection = new Redis(testRedisUrl());
    const other = new KeyConcurrencyLimiter(otherConnection, keys);
    try {
      const first = await limiter.acquire('key-1', 2);
      const second = await other.acquire('key-1', 2);
      if (!first.ok || !second.ok) throw new Error('both places should be taken');
      await writeJob('job_a', 'queued');
      await first.slot.bind('job_a');
      await writeJob('job_b', 'active');
      await second.slot.bind('job_b');
      expect(await other.acquire('key-1', 2)).toEqual({ ok: false, active: 2 });
      // Another key has its own places.
      expect(await limiter.acquire('key-2', 2)).toMatchObject({ ok: true, active: 1 });

      for (const ending of ['completed', 'failed', 'cancelled']) {
        await writeJob('job_a', ending);
        const next = await limiter.acquire('key-1', 2);
        expect({ ending, ok: next.ok }).toEqual({ ending, ok: true });
        if (next.ok) await next.slot.release();
        await writeJob('job_a', 'queued');
      }
      // A record that expired away frees its place too.
      await redis.del(keys.job('job_b'));
      expect(await limiter.acquire('key-1', 2)).toMatchObject({ ok: true, active: 2 });
    } finally {
      await otherConnection.quit();
    }
  });

  it('counts a request whose job is not known yet, until released or past the grace time', async () => {
    let now = 1_000_000;
    const limiter = new KeyConcurrencyLimiter(redis, keys, { graceMs: 60_000, now: () => now });
    const held = await limiter.acquire('key-1', 1);
    expect(held.ok).toBe(true);
    expect(await limiter.acquire('key-1', 1)).toEqual({ ok: false, active: 1 });
    if (held.ok) await held.slot.release();
    const again = await limiter.acquire('key-1', 1);
    expect(again.ok).toBe(true);
    // A place whose request never came back (a crashed API) lapses after the grace time.
    now += 59_999;
    expect(await limiter.acquire('key-1', 1)).toMatchObject({ ok: false });
    now += 2;
    expect(await limiter.acquire('key-1', 1)).toMatchObject({ ok: true });
  });
});
