import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { testEnv } from './env';

/** The Redis the test run uses (set by test/global-setup.js). */
export function testRedisUrl(): string {
  const url = testEnv().REDIS_URL;
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
  // A cluster client (see createRedisConnection) scans every master: keys live on one of them.
  const client = redis as Redis | Cluster;
  if (client instanceof Cluster) {
    let removed = 0;
    for (const node of client.nodes('master')) removed += await cleanupPrefix(node, prefix);
    return removed;
  }
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) removed += await redis.unlink(...keys);
  } while (cursor !== '0');
  return removed;
}

/** `prefix` with the glob characters SCAN MATCH would interpret escaped (`{` is literal). */
function escapeGlob(prefix: string): string {
  return prefix.replace(/[*?[\]\\]/g, '\\$&');
}
