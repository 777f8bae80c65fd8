import { LuaScript } from '../redis/lua-script';

// Lua of the webhook delivery store (webhook-delivery-store.ts).

/**
 * Creates a delivery once: a relay that re-processes an outbox entry finds it and stops.
 *
 * KEYS: the delivery hash, the job's set of delivery ids.
 * ARGV: lifetime (seconds), delivery id, then the delivery's field/value pairs.
 * Returns 1 when created, 0 when it existed.
 */
export const ensureScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1`);

/**
 * Appends an attempt to the log and moves the status. Exactly one success is ever logged per
 * run: a duplicate runner (a stalled job picked up twice) finds 'succeeded' and records
 * nothing; an attempt of an earlier run (replayed since) is stale.
 *
 * KEYS: the delivery hash, its attempts list.
 * ARGV: run number, the attempt as JSON, new status ('' to keep it), the log's lifetime
 * (seconds).
 * Returns 'recorded', 'duplicate', 'stale' or 'missing'.
 */
export const recordScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if redis.call('HGET', KEYS[1], 'run') ~= ARGV[1] then return 'stale' end
if status == 'succeeded' then return 'duplicate' end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('HINCRBY', KEYS[1], 'attempt_count', 1)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'status', ARGV[3]) end
return 'recorded'`);

/**
 * A replay: a new run of the same message, scoped to the tenant.
 *
 * KEYS: the delivery hash. ARGV: tenant.
 * Returns the new run number, or -1 when the delivery is not the tenant's.
 */
export const replayScript = new LuaScript(`
if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'status', 'pending')
return redis.call('HINCRBY', KEYS[1], 'run', 1)`);
