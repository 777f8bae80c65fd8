import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { GatewayRateLimiter } from './gateway-rate-limiter';

let redis: Redis;
let keys: RedisKeys;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-ratelimit'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

describe('gateway rate limiter (real Redis, fake clock)', () => {
  it('never lets more than the limit through in any window, across a bucket boundary too', async () => {
    const limiter = new GatewayRateLimiter(redis, keys, { windowMs: 10_000, buckets: 10 });
    // A second limiter on its own connection plays another API instance.
    const otherConnection = new Redis(testRedisUrl());
    const other = new GatewayRateLimiter(otherConnection, keys, { windowMs: 10_000, buckets: 10 });
    try {
      const start = 1_000_000; // a bucket boundary: buckets are 1,000 ms
      expect(await limiter.consume('key-1', 3, { now: start + 9_500 })).toEqual({
        allowed: true,
        limit: 3,
        remaining: 2,
        // The bucket [9 s, 10 s) leaves the window at 20 s.
        resetMs: 10_500,
        retryAfterMs: 0,
        neverFits: false,
        windowMs: 10_000,
      });
      expect(await other.consume('key-1', 3, { now: start + 9_600 })).toMatchObject({
        remaining: 1,
      });
      expect(await limiter.consume('key-1', 3, { now: start + 9_700 })).toMatchObject({
        allowed: true,
        remaining: 0,
        retryAfterMs: 10_300,
      });
      // Just past the boundary a fixed window would open a fresh count of 3: this one does not.
      expect(await other.consume('key-1', 3, { now: start + 10_500 })).toEqual({
        allowed: false,
        limit: 3,
        remaining: 0,
        resetMs: 9_500,
        retryAfterMs: 9_500,
        neverFits: false,
        windowMs: 10_000,
      });
      expect(await limiter.consume('key-1', 3, { now: start + 19_999 })).toMatchObject({
        allowed: false,
      });
      // Other subjects count separately.
      expect(await other.consume('key-2', 3, { now: start + 19_999 })).toMatchObject({
        remaining: 2,
      });
      // Once the requests of 9.5–9.7 s have left, the whole limit is back.
      for (const remaining of [2, 1, 0]) {
        expect(await limiter.consume('key-1', 3, { now: start + 20_000 })).toMatchObject({
          allowed: true,
          remaining,
        });
      }
      const ttl = await redis.pttl(keys.gatewayRateLimit('key-1'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(11_000);
    } finally {
      await otherConnection.quit();
    }
  });

  it('frees places one bucket at a time as they leave the window', async () => {
    const limiter = new GatewayRateLimiter(redis, keys, { windowMs: 10_000, buckets: 10 });
    const start = 2_000_000;
    for (const at of [0, 2_000, 4_000]) await limiter.consume('key-1', 3, { now: start + at });
    // Full: the first place frees when the bucket of 0 s leaves, at 11 s.
    expect(await limiter.consume('key-1', 3, { now: start + 6_000 })).toMatchObject({
      allowed: false,
      retryAfterMs: 5_000,
    });
    expect(await limiter.consume('key-1', 3, { now: start + 10_999 })).toMatchObject({
      allowed: false,
    });
    expect(await limiter.consume('key-1', 3, { now: start + 11_000 })).toMatchObject({
      allowed: true,
      remaining: 0,
      // The next place frees when the bucket of 2 s leaves, at 13 s.
      retryAfterMs: 2_000,
    });
    expect(await limiter.consume('key-1', 3, { now: start + 12_000 })).toMatchObject({
      allowed: false,
    });
  });

  it('weighs a request by its cost (a token limit) and says when one can never fit', async () => {
    const limiter = new GatewayRateLimiter(redis, keys, { windowMs: 10_000, buckets: 10 });
    const start = 3_000_000;
    expect(await limiter.consume('key-1', 100, { cost: 60, now: start })).toMatchObject({
      allowed: true,
      remaining: 40,
    });
    // 60 + 50 > 100: refused, and counts nothing; it fits once the 60 leave at 11 s.
    expect(await limiter.consume('key-1', 100, { cost: 50, now: start + 1_000 })).toMatchObject({
      allowed: false,
      remaining: 40,
      retryAfterMs: 10_000,
    });
    expect(await limiter.consume('key-1', 100, { cost: 40, now: start + 1_000 })).toMatchObject({
      allowed: true,
      remaining: 0,
    });
    expect(await limiter.consume('key-1', 100, { cost: 101, now: start + 1_000 })).toMatchObject({
      allowed: false,
      neverFits: true,
    });
    expect(await limiter.consume('key-1', 100, { cost: 50, now: start + 11_000 })).toMatchObject({
      allowed: true,
      remaining: 10,
    });
  });

  it("judges by Redis's clock when no time is given", async () => {
    const limiter = new GatewayRateLimiter(redis, keys, { windowMs: 60_000 });
    expect(await limiter.consume('key-1', 2)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await limiter.consume('key-1', 2)).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await limiter.consume('key-1', 2);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused.retryAfterMs).toBeGreaterThan(59_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(61_000);
  });
});
