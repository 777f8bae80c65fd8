import { assignFairPrioritiesLua } from '../lanes/fair-priority-scripts';
import { LuaScript } from '../redis/lua-script';
import { indexNewJobLua } from './job-store-scripts';

// A submit is accepted in one script, so a Redis crash leaves either everything a job needs
// (its idempotency entry, its record, its first event and what it takes to enqueue it) or
// nothing. BullMQ's own `add` is a separate script that cannot join this one: what may be
// missing after a crash is only the queue entry, and the submission written here is what the
// replay of the submit and the sweeper enqueue it from.

/**
 * Accepts a new job, or reports the job that already holds the tenant's Idempotency-Key. A new
 * job in a lane with fair priorities also gets its BullMQ priority here (the lane's fair tag,
 * see fair-priority-scripts.ts), in the same call: a replayed key takes no tag.
 *
 * KEYS: 1 the job's record, 2 its event stream, 3 its submission (what enqueues it),
 * 4 the pending-submissions sorted set, 5 the idempotency entry (unused without a key),
 * 6 the tenant's webhook endpoint set (read only when ARGV[7] is '1'), 7 the tenant's job
 * index (the job explorer's, see `indexNewJobLua`), 8 the tenant's index sequence, then with
 * a fair tag (ARGV[9] = '1') 9 the lane's fair hash and 10–13 its queue's wait list,
 * prioritized set, paused list and delayed set.
 *
 * ARGV: 1 job id, 2 SHA-256 of the request body ('' when the request has no Idempotency-Key),
 * 3 idempotency entry lifetime s, 4 record lifetime s, 5 now (epoch ms), 6 notify (0/1),
 * 7 mark notify when the tenant has default webhook endpoints (0/1), 8 the submission JSON,
 * 9 take a fair tag (0/1), 10–15 the tag's tenant, request priority, job count (1), units per
 * step, largest queue priority and tenant weight ('' each without a tag), then the record's
 * field/value pairs.
 *
 * Returns {'new', job id, BullMQ priority (0 without a fair tag)}, {'existing', job id} (same
 * key, same body) or {'conflict', job id} (same key, another body).
 */
export const acceptScript = new LuaScript(`${assignFairPrioritiesLua}
if ARGV[2] ~= '' then
  local existing = redis.call('GET', KEYS[5])
  if existing then
    local separator = string.find(existing, '|', 1, true)
    local jobId = string.sub(existing, 1, separator - 1)
    if string.sub(existing, separator + 1) == ARGV[2] then return {'existing', jobId} end
    return {'conflict', jobId}
  end
  redis.call('SET', KEYS[5], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 16))
if ARGV[6] == '1' or (ARGV[7] == '1' and redis.call('SCARD', KEYS[6]) > 0) then
  redis.call('HSET', KEYS[1], 'notify', 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('XADD', KEYS[2], '*', 'event', 'status', 'data', '{"status":"queued"}')
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('SET', KEYS[3], ARGV[8], 'EX', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
${indexNewJobLua('KEYS[7]', 'KEYS[8]', 'ARGV[1]', 'ARGV[5]', 'ARGV[4]')}
local queuePriority = 0
if ARGV[9] == '1' then
  queuePriority = assign_fair_priorities(KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13],
    ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15])[1]
end
return {'new', ARGV[1], queuePriority}`);

/**
 * Takes back a submit whose enqueue failed, all or nothing: the record, its events, its
 * submission, its pending entry and the idempotency entry (only while it still names this job).
 * A job a worker already started (the enqueue's answer was lost, not the enqueue) is left alone.
 *
 * KEYS: 1 record, 2 event stream, 3 submission, 4 pending-submissions set, 5 idempotency entry.
 * ARGV: 1 job id, 2 '1' when the submit held an idempotency entry.
 * Returns 1 when the submit was taken back, 0 when its job had already started.
 */
export const abandonScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status and status ~= 'queued' then return 0 end
if ARGV[2] == '1' then
  local held = redis.call('GET', KEYS[5])
  if held and string.sub(held, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then redis.call('DEL', KEYS[5]) end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1`);
