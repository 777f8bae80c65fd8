import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The Redis the test run uses (set by test/global-setup.js). */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url)
    throw new Error('REDIS_URL is not set: run tests through jest so test/global-setup.js runs');
  return url;
}

/** A key prefix no other test (or run) shares. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${randomUUID()}`;
}

/** Removes every key under `prefix` (and only those): tests never flush a shared Redis. */
export async function cleanupPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== '0');
  return removed;
}
