import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/lua-script';
import type { RedisKeys } from '../redis/redis-keys';

export type IdempotencyOutcome =
  | { outcome: 'new' }
  | { outcome: 'existing'; jobId: string }
  | { outcome: 'conflict'; jobId: string };

// Claims the key for a new job, or reports the job that already holds it; atomic so two
// concurrent retries of one submit create one job.
const reserveScript = new LuaScript(`
local existing = redis.call('GET', KEYS[1])
if not existing then
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
  return {'new', ARGV[1]}
end
local separator = string.find(existing, '|', 1, true)
local jobId = string.sub(existing, 1, separator - 1)
local bodyHash = string.sub(existing, separator + 1)
if bodyHash == ARGV[2] then return {'existing', jobId} end
return {'conflict', jobId}`);

/** Maps a tenant's `Idempotency-Key` to the job it created, for a bounded time. */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** How long a key is remembered, seconds (default 24 h, as Stripe does). */
    private readonly ttlSeconds: number = 24 * 3600,
  ) {}

  async reserve(
    tenant: string,
    idempotencyKey: string,
    bodyHash: string,
    jobId: string,
  ): Promise<IdempotencyOutcome> {
    const [outcome, existingJobId] = (await reserveScript.run(
      this.redis,
      [this.key(tenant, idempotencyKey)],
      [jobId, bodyHash, this.ttlSeconds],
    )) as [string, string];
    if (outcome === 'new') return { outcome: 'new' };
    if (outcome === 'existing') return { outcome: 'existing', jobId: existingJobId };
    return { outcome: 'conflict', jobId: existingJobId };
  }

  /** Frees a key whose job could not be enqueued, so the client's retry can succeed. */
  async release(tenant: string, idempotencyKey: string): Promise<void> {
    await this.redis.del(this.key(tenant, idempotencyKey));
  }

  private key(tenant: string, idempotencyKey: string): string {
    return this.keys.idempotency(tenant, sha256(idempotencyKey));
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
