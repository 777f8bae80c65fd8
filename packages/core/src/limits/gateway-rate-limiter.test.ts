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
  it('allows N requests per window, refuses the next, and opens a new window when it ends', async () => {
    const limiter = new GatewayRateLimiter(redis, keys, { windowMs: 10_000 });
    // A second limiter on its own connection plays another API instance.
    const otherConnection = new Redis(testRedisUrl());
    const other = new GatewayRateLimiter(otherConnection, keys, { windowMs: 10_000 });
    try {
      const start = 1_000_000;
      expect(await limiter.consume('key-1', 2, start)).toEqual({
        allowed: true,
        limit: 2,
        remaining: 1,
        resetMs: 10_000,
        windowMs: 10_000,
      });
      expect(await other.consume('key-1', 2, start + 4_000)).toMatchObject({
        allowed: true,
        remaining: 0,
        resetMs: 6_000,
      });
      expect(await limiter.consume('key-1', 2, start + 9_999)).toMatchObject({
        allowed: false,
        remaining: 0,
        resetMs: 1,
      });
      // Other subjects count separately.
      expect(await other.consume('key-2', 2, start + 9_999)).toMatchObject({ remaining: 1 });
      expect(await other.consume('key-1', 2, start + 10_000)).toMatchObject({
        allowed: true,
        remaining: 1,
        resetMs: 10_000,
      });
      // The window's hash expires with it.
      const ttl = await redis.pttl(keys.gatewayRateLimit('key-1'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10_000);
    } finally {
      await otherConnection.quit();
    }
  });
});
