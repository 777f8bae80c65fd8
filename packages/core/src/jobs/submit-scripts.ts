import { assignFairPrioritiesLua } from '../lanes/fair-priority-scripts';
import { LuaScript } from '../redis/lua-script';
import { indexNewJobLua, newRecordLua } from './job-store-scripts';
import type { QueueAddScripts } from './queue-add';

// A submit is accepted in one script, so a Redis crash leaves either everything a job needs
// (its idempotency entry, its record, its first event and its queue entry) or nothing. The
// queue entry is BullMQ's own add script, run inside this one (`acceptAndEnqueueScript`): its
// Lua is the string the installed BullMQ defines as its command, and its arguments are built
// by BullMQ's code (queue-add.ts). Only when that is not possible (a BullMQ whose scripts or
// add arguments are laid out otherwise) is the add a second script after this one; the
// submission written here is then what the replay of the submit and the sweeper enqueue a job
// from when a crash lost its queue entry. A caller's companion write (a record the job must not
// run without, see companion-write.ts) is the first write of a new job in either script.

/** The idempotency check: answers a replayed or conflicting key at once. */
const idempotencyCheckLua = `
if ARGV[2] ~= '' then
  local existing = redis.call('GET', KEYS[5])
  if existing then
    local separator = string.find(existing, '|', 1, true)
    local jobId = string.sub(existing, 1, separator - 1)
    if string.sub(existing, separator + 1) == ARGV[2] then return {'existing', jobId} end
    return {'conflict', jobId}
  end
end
`;

/**
 * The writes of a new job: idempotency entry, record, first event, job index. `recordFrom` is
 * the Lua expression of the ARGV index its record's values start at.
 */
function newJobWritesLua(recordFrom: string): string {
  return `
if ARGV[2] ~= '' then redis.call('SET', KEYS[5], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3]) end
${newRecordLua({
  record: 'KEYS[1]',
  events: 'KEYS[2]',
  endpoints: 'KEYS[6]',
  jobId: 'ARGV[1]',
  fieldsFrom: recordFrom,
  lifetimeSeconds: 'ARGV[4]',
  notify: 'ARGV[6]',
  checkEndpoints: 'ARGV[7]',
})}
${indexNewJobLua('KEYS[7]', 'KEYS[8]', 'ARGV[1]', 'ARGV[5]', 'ARGV[4]')}`;
}

/** A companion's Lua (see companion-write.ts) as a function of its own keys and arguments. */
function companionFunctionLua(companion: string | undefined): string {
  return companion === undefined
    ? ''
    : `local function companion_write(KEYS, ARGV)
${companion}
end`;
}

/**
 * The companion write, from ARGV[from] (how many keys it has: the last ones of KEYS) and
 * ARGV[from + 1] (how many arguments), its arguments after them; sets `recordFrom`, where
 * the record's fields start. Run right after the idempotency check: it is a new job's first
 * write, so a script that raises after it leaves it without its job (harmless, it expires),
 * never the job without it.
 */
function companionCallLua(companion: string | undefined, from: number): string {
  return `
local companionKeys = tonumber(ARGV[${from}])
local recordFrom = ${from + 2} + tonumber(ARGV[${from + 1}])
${
  companion === undefined
    ? ''
    : `companion_write({unpack(KEYS, #KEYS - companionKeys + 1)}, {unpack(ARGV, ${from + 2}, recordFrom - 1)})`
}`;
}

/** The lane's fair tag, from KEYS[first..first+4]; 0 without one. */
function fairTagLua(first: number): string {
  const key = (offset: number) => `KEYS[${first + offset}]`;
  return `
local queuePriority = 0
if ARGV[9] == '1' then
  queuePriority = assign_fair_priorities(${key(0)}, ${key(1)}, ${key(2)}, ${key(3)}, ${key(4)},
    ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15])[1]
end`;
}

/**
 * Accepts a new job, or reports the job that already holds the tenant's Idempotency-Key. A new
 * job in a lane with fair priorities also gets its BullMQ priority here (the lane's fair tag,
 * see fair-priority-scripts.ts), in the same call: a replayed key takes no tag. Used when
 * BullMQ's add cannot run inside the accept (see the top of this file). `companion`: the Lua of
 * a companion write (see companion-write.ts), made first for a new job; each text is a variant.
 *
 * KEYS: 1 the job's record, 2 its event stream, 3 its submission (what enqueues it),
 * 4 the pending-submissions sorted set, 5 the idempotency entry (unused without a key),
 * 6 the tenant's webhook endpoint set (read only when ARGV[7] is '1'), 7 the tenant's job
 * index (the job explorer's, see `indexNewJobLua`), 8 the tenant's index sequence, then with
 * a fair tag (ARGV[9] = '1') 9 the lane's fair hash and 10–13 its queue's wait list,
 * prioritized set, paused list and delayed set, then the companion's keys (ARGV[16] of them).
 *
 * ARGV: 1 job id, 2 SHA-256 of the request body ('' when the request has no Idempotency-Key),
 * 3 idempotency entry lifetime s, 4 record lifetime s, 5 now (epoch ms), 6 notify (0/1),
 * 7 mark notify when the tenant has default webhook endpoints (0/1), 8 the submission JSON,
 * 9 take a fair tag (0/1), 10–15 the tag's tenant, request priority, job count (1), units per
 * step, largest queue priority and tenant weight ('' each without a tag), 16 the companion's
 * key count and 17 its argument count (0 and 0 without one), its arguments, then the record's
 * values (see `newRecordArguments`).
 *
 * Returns {'new', job id, BullMQ priority (0 without a fair tag)}, {'existing', job id} (same
 * key, same body) or {'conflict', job id} (same key, another body).
 */
export function acceptScript(companion?: string): LuaScript {
  return new LuaScript(`${assignFairPrioritiesLua}
${companionFunctionLua(companion)}
${idempotencyCheckLua}
${companionCallLua(companion, 16)}
${newJobWritesLua('recordFrom')}
redis.call('SET', KEYS[3], ARGV[8], 'EX', ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
${fairTagLua(9)}
return {'new', ARGV[1], queuePriority}`);
}

/**
 * Whether the accept may take the job it adds (ARGV[8] holds `<lock ms> <lock token>`): only
 * when the lane has nothing waiting (its wait list and prioritized set empty) and is neither
 * paused nor capped by BullMQ's global concurrency or rate limit, read before the add. So a job
 * is never taken past one that waits: the lane's priorities and tenant fairness still order any
 * backlog. The lane's keys are BullMQ's, named from the add's active key (KEYS 7 of both adds:
 * `<queue prefix>active`), as BullMQ names a queue's keys from its prefix.
 */
const takeCheckLua = `
local takeToken, takeLockMs
if ARGV[8] ~= '' then
  local activeKey = addKeys[7]
  local queuePrefix = string.sub(activeKey, 1, #activeKey - 6)
  -- Nothing waiting, and no delayed job due (a retry's backoff or a capped start that has
  -- passed): a worker's fetch would promote it first (BullMQ's promoteDelayedJobs, scores
  -- ms * 0x1000 + a counter), so a new job is not run ahead of it.
  if string.sub(activeKey, -6) == 'active' and redis.call('LLEN', queuePrefix .. 'wait') == 0
    and redis.call('ZCARD', queuePrefix .. 'prioritized') == 0
    and redis.call('ZCOUNT', queuePrefix .. 'delayed', 0, (tonumber(ARGV[5]) + 1) * 0x1000 - 1) == 0 then
    local meta = redis.call('HMGET', queuePrefix .. 'meta', 'paused', 'concurrency', 'max')
    if not meta[1] and not meta[2] and not meta[3] then
      local separator = string.find(ARGV[8], ' ', 1, true)
      takeLockMs = string.sub(ARGV[8], 1, separator - 1)
      takeToken = string.sub(ARGV[8], separator + 1)
    end
  end
end`;

/**
 * Takes a job just added to its lane (waiting or prioritized) into the lane's active list under
 * `token`, as BullMQ 6's `moveToActive` (its `prepareJobForProcessing`) does for a job a
 * worker fetches: the lock key set to the token for `lockMs`, the `active` event, the job's
 * `processedOn` and one more started attempt (`ats`). The lane's base marker, which the add
 * set, is taken back: the lane has nothing else waiting, so no worker's blocking read should
 * wake for it (a delayed job's marker is another member, left alone). Returns 1 when taken, 0
 * when the job was in neither list (an add that delayed it).
 */
const takeJobLua = `
local function take_job(activeKey, eventsKey, jobId, now, token, lockMs)
  local queuePrefix = string.sub(activeKey, 1, #activeKey - 6)
  if redis.call('ZREM', queuePrefix .. 'prioritized', jobId) == 0
    and redis.call('LREM', queuePrefix .. 'wait', 1, jobId) == 0 then
    return 0
  end
  redis.call('ZREM', queuePrefix .. 'marker', '0')
  redis.call('LPUSH', activeKey, jobId)
  local jobKey = queuePrefix .. jobId
  redis.call('SET', jobKey .. ':lock', token, 'PX', lockMs)
  redis.call('XADD', eventsKey, '*', 'event', 'active', 'jobId', jobId, 'prev', 'waiting')
  redis.call('HMSET', jobKey, 'processedOn', now)
  redis.call('HINCRBY', jobKey, 'ats', 1)
  return 1
end`;

/** How many keys BullMQ's add takes inside {@link acceptAndEnqueueScript} (both adds: 9). */
export const queueAddKeyCount = 9;

/**
 * Like {@link acceptScript}, and the new job is added to its BullMQ queue in the same script by
 * BullMQ's own add (`scripts`, the installed BullMQ's Lua; see queue-add.ts), so the job is in
 * its queue exactly when its record is: no submission is kept and none is listed pending. The
 * add runs before the record is written, so an add that raises leaves no record behind. With a
 * fair tag, the tag's priority replaces the add options' `priority` (the name queue-add.ts
 * checks BullMQ uses). A companion write comes first (an add that raises leaves it behind).
 *
 * KEYS: 1–8 as {@link acceptScript} (3 and 4 unused), 9–17 the add's keys, then with a fair tag
 * 18 the lane's fair hash and 19–22 its queue's wait list, prioritized set, paused list and
 * delayed set, then the companion's keys (ARGV[20] of them).
 *
 * ARGV: 1–15 as {@link acceptScript}, but 8 is '' or a take (`<lock ms> <lock token>`: the
 * job is taken into its lane's active list under that token when the lane has nothing waiting,
 * see `takeJobLua`), 16–18 the add's arguments (its packed arguments and the job's packed
 * options as JSON, packed here again, and the job's data), 19 which add ('standard' or
 * 'prioritized'), 20 the companion's key count and 21 its argument count (0 and 0 without
 * one), its arguments, then the record's values. Returns as {@link acceptScript}, with a fourth
 * value: 1 when the job was taken (ARGV[8]), else 0.
 */
export function acceptAndEnqueueScript(scripts: QueueAddScripts, companion?: string): LuaScript {
  const addKeys = Array.from({ length: queueAddKeyCount }, (_, index) => `KEYS[${9 + index}]`);
  return new LuaScript(`${assignFairPrioritiesLua}
local function bullmq_add_standard(KEYS, ARGV)
${scripts.standard.content}
end
local function bullmq_add_prioritized(KEYS, ARGV)
${scripts.prioritized.content}
end
${companionFunctionLua(companion)}
${takeJobLua}
${idempotencyCheckLua}
${companionCallLua(companion, 20)}
${fairTagLua(9 + queueAddKeyCount)}
local options = cjson.decode(ARGV[18])
if ARGV[9] == '1' then options['priority'] = queuePriority end
local addArguments = {cmsgpack.pack(cjson.decode(ARGV[16])), ARGV[17], cmsgpack.pack(options)}
local addKeys = {${addKeys.join(', ')}}
${takeCheckLua}
local added
if ARGV[19] == 'prioritized' then
  added = bullmq_add_prioritized(addKeys, addArguments)
else
  added = bullmq_add_standard(addKeys, addArguments)
end
if type(added) == 'number' and added < 0 then
  return redis.error_reply('ERR BullMQ add refused the job (' .. added .. ')')
end
${newJobWritesLua('recordFrom')}
local taken = 0
if takeToken ~= nil then taken = take_job(addKeys[7], addKeys[8], ARGV[1], ARGV[5], takeToken, takeLockMs) end
return {'new', ARGV[1], queuePriority, taken}`);
}

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
