import { ledgerLua } from '../cost/cost-ledger-scripts';
import { runningCapLua } from '../limits/running-cap-scripts';
import { LuaScript } from '../redis/lua-script';
import { closeJournalLua } from '../resilience/call-journal-scripts';

// Lua of the job store (job-store.ts). Each transition is one script so two workers (a stalled
// job picked up again) or a worker and a cancel can never both win: the record is the arbiter
// of a job's state. Every transition also appends a `status` event to the job's event stream
// in the same script, so the stream never disagrees with the record and costs no extra round
// trip.
//
// Transitions share one layout, built by `JobStore.transition`: KEYS[1] the job's record hash,
// KEYS[2] its event stream; ARGV ends with the stream's max length, the events' lifetime
// (seconds) and a pending record's lifetime (seconds), which {@link publishStatus} reads from
// the end so each script's own arguments come first.

/**
 * Lua prelude of the transitions: `publish(data, ttl)` appends a `status` event to KEYS[2]
 * (trimmed to about ARGV[#ARGV - 2] entries) and sets the stream's lifetime;
 * `publish_kept(data, ttl)` appends it keeping the lifetime the stream has (the record's, given
 * by the accept or the create), and sets one only when the stream was gone and this made it
 * again, so no stream is ever left without a lifetime;
 * `publish_final(data, channel)` does so for a final status and announces it (the stream's key,
 * the entry's id and the data, one per line) on the channel the record names (`ends_channel`: the
 * API process waiting for the job, see streaming/job-end-watcher.ts), which a script that already
 * read the field passes as `channel` (false: none) and any other leaves nil for it to be read;
 * `eventsTtl` and `pendingTtl` are the last two ARGV.
 */
const publishStatus = `
local function publish(data, ttl)
  local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[#ARGV - 2], '*', 'event', 'status', 'data', data)
  redis.call('EXPIRE', KEYS[2], ttl)
  return id
end
local function publish_kept(data, ttl)
  local id = redis.call('XADD', KEYS[2], 'NOMKSTREAM', 'MAXLEN', '~', ARGV[#ARGV - 2], '*', 'event', 'status', 'data', data)
  if id then return id end
  return publish(data, ttl)
end
local eventsTtl = ARGV[#ARGV - 1]
local pendingTtl = ARGV[#ARGV]
local function publish_final(data, channel)
  local id = publish(data, eventsTtl)
  if channel == nil then channel = redis.call('HGET', KEYS[1], 'ends_channel') end
  if channel then redis.call('PUBLISH', channel, KEYS[2] .. '\\n' .. id .. '\\n' .. data) end
end
`;

/**
 * Lua prelude of the cancelling transitions: `notify_cancelled(outbox, jobId)` puts a
 * `cancelled` entry in the webhook outbox when the record (KEYS[1]) is marked `notify`.
 */
const notifyCancelled = `
local function notify_cancelled(outbox, jobId)
  if redis.call('HGET', KEYS[1], 'notify') == '1' then
    redis.call('XADD', outbox, '*', 'job_id', jobId, 'status', 'cancelled')
  end
end
`;

/**
 * How often a tenant's job index is maintained, seconds: its lifetime set and its entries past
 * a pending record's lifetime trimmed, once per interval by the interval's first new job (see
 * {@link indexNewJobLua}), not by every one.
 */
export const tenantIndexIntervalSeconds = 60;

/**
 * Lua that lists a new job in its tenant's job index (the job explorer's, see
 * `job-explorer.ts`): score = created ms × 1000 + the tenant's sequence in the creation time's
 * interval (`RedisKeys.tenantJobSequence`) mod 1000, so no two jobs share one (jobs created in
 * one ms share an interval). The interval's first job (its sequence is 1) maintains the index:
 * sets its lifetime to a pending record's plus one interval (every job of the interval is
 * listed at least as long as its record lives pending), trims the entries older than a pending
 * record's lifetime, and gives the sequence a lifetime of two intervals; the other jobs of the
 * interval only count and list (three commands fewer per submit). Takes Lua expressions: the
 * index key, the interval's sequence key, the job id, the creation time (epoch ms) and the
 * lifetime (s).
 */
export function indexNewJobLua(
  index: string,
  sequence: string,
  jobId: string,
  createdMs: string,
  lifetimeSeconds: string,
): string {
  return `
local sequence = redis.call('INCR', ${sequence})
local created = tonumber(${createdMs})
redis.call('ZADD', ${index}, string.format('%d', created * 1000 + sequence % 1000), ${jobId})
if sequence == 1 then
  redis.call('EXPIRE', ${sequence}, ${2 * tenantIndexIntervalSeconds})
  redis.call('ZREMRANGEBYSCORE', ${index}, '-inf',
    string.format('(%d', (created - tonumber(${lifetimeSeconds}) * 1000) * 1000))
  redis.call('EXPIRE', ${index}, tonumber(${lifetimeSeconds}) + ${tenantIndexIntervalSeconds})
end
`;
}

/** Lua expressions {@link newRecordLua} writes a new job's record and first event from. */
export interface NewRecordLua {
  /** The record hash's key, and the event stream's. */
  record: string;
  events: string;
  /** The tenant's default webhook endpoint set (read only when `checkEndpoints` is '1'). */
  endpoints: string;
  /** The job id. */
  jobId: string;
  /**
   * The ARGV index the record's values start at (see `newRecordArguments`): tenant, model,
   * priority and creation time, then its optional field/value pairs to ARGV's end.
   */
  fieldsFrom: string;
  lifetimeSeconds: string;
  /** '1' when the request asked for its end to reach the webhook outbox. */
  notify: string;
  /** '1' to mark it `notify` too when the tenant has default webhook endpoints right now. */
  checkEndpoints: string;
}

/**
 * Lua writing a new job's record (marked `notify` as {@link NewRecordLua} says) and its first
 * event, both with the record's lifetime: the job store's create and the submit's accept run
 * the same writes. The field names every record has, and its constant values (status `queued`,
 * no attempt, no result written), are in this text rather than sent as arguments with every
 * submit.
 */
export function newRecordLua(lua: NewRecordLua): string {
  return `
local recordValues = ${lua.fieldsFrom}
redis.call('HSET', ${lua.record}, 'id', ${lua.jobId}, 'tenant', ARGV[recordValues],
  'status', 'queued', 'model', ARGV[recordValues + 1], 'priority', ARGV[recordValues + 2],
  'created_at', ARGV[recordValues + 3], 'attempts', '0', 'result_writes', '0',
  unpack(ARGV, recordValues + 4))
if ${lua.notify} == '1' or (${lua.checkEndpoints} == '1' and redis.call('SCARD', ${lua.endpoints}) > 0) then
  redis.call('HSET', ${lua.record}, 'notify', 1)
end
redis.call('EXPIRE', ${lua.record}, ${lua.lifetimeSeconds})
redis.call('XADD', ${lua.events}, '*', 'event', 'status', 'data', '{"status":"queued"}')
redis.call('EXPIRE', ${lua.events}, ${lua.lifetimeSeconds})`;
}

/**
 * A new record, its first event, whether the job's end goes to the webhook outbox, and its
 * entry in the tenant's job index, in one step: `notify` is set when the request asked for it
 * (ARGV[2]) or, with ARGV[3], when the tenant has default webhook endpoints right now, so the
 * submit needs no separate SCARD; with ARGV[4], the job is listed in the tenant's index.
 *
 * KEYS: 1 the record hash, 2 the event stream, 3 the tenant's default webhook endpoint set
 * (read only with ARGV[3]), 4 the tenant's job index and 5 its sequence (written only with
 * ARGV[4]).
 * ARGV: 1 lifetime (seconds), 2 notify (0 or 1), 3 check the tenant's endpoints (0 or 1),
 * 4 index the job (0 or 1), 5 job id, 6 creation time (epoch ms), then the record's values
 * (see `newRecordArguments`).
 * Returns 1.
 */
export const createScript = new LuaScript(`${newRecordLua({
  record: 'KEYS[1]',
  events: 'KEYS[2]',
  endpoints: 'KEYS[3]',
  jobId: 'ARGV[5]',
  fieldsFrom: '7',
  lifetimeSeconds: 'ARGV[1]',
  notify: 'ARGV[2]',
  checkEndpoints: 'ARGV[3]',
})}
if ARGV[4] == '1' then
${indexNewJobLua('KEYS[4]', 'KEYS[5]', 'ARGV[5]', 'ARGV[6]', 'ARGV[1]')}
end
return 1`);

/**
 * Marks a job active as a worker takes it and counts the attempt, unless its start deadline
 * passed before it ever started, or one of its running-job caps is full (see
 * limits/running-cap-scripts.ts). A job already `active` (a stalled job run again) is its
 * own place and is let in. The record is read once (status, first start, attempts) and written
 * once: every command a script runs is Redis CPU on every job.
 *
 * KEYS, and ARGV after its own: the transition layout (see the top of this file), then the
 * running sets of the job's caps (KEYS[3..]).
 * ARGV: 1 now (epoch ms), 2 the start deadline (epoch ms, '' for none), 3 job id, then only
 * with caps: 4 the record key prefix (the record of job X is ARGV[4] .. X), 5 the running
 * sets' lifetime (seconds), 6.. each cap's limit, in the order of KEYS[3..].
 * The `active` event keeps the stream's lifetime (the record's, set by the accept): the start
 * writes no `EXPIRE` unless the stream had gone.
 * Returns {'started', started_at} (the first start's time), {'expired', 0}, {'capped',
 * running jobs of the full cap}, or {'missing' | 'cancelled' | 'finished', 0} when the
 * worker must not run it.
 */
export const startScript = new LuaScript(`${publishStatus}${runningCapLua}
local record = redis.call('HMGET', KEYS[1], 'status', 'started_at', 'attempts')
local status, startedAt = record[1], record[2]
if not status then return {'missing', 0} end
if status == 'cancelled' then return {'cancelled', 0} end
if status == 'completed' or status == 'failed' then return {'finished', 0} end
if ARGV[2] ~= '' and not startedAt and tonumber(ARGV[1]) > tonumber(ARGV[2]) then
  return {'expired', 0}
end
if status ~= 'active' then
  for i = 3, #KEYS do
    local live = running_places(KEYS[i], ARGV[4], ARGV[3])
    if live >= tonumber(ARGV[i + 3]) then return {'capped', live} end
  end
end
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[1], ARGV[3])
  redis.call('EXPIRE', KEYS[i], ARGV[5])
end
local attempt = string.format('%d', (tonumber(record[3]) or 0) + 1)
if startedAt then
  redis.call('HSET', KEYS[1], 'status', 'active', 'attempts', attempt)
else
  startedAt = ARGV[1]
  redis.call('HSET', KEYS[1], 'status', 'active', 'started_at', startedAt, 'attempts', attempt)
end
publish_kept('{"status":"active","attempt":' .. attempt .. '}', pendingTtl)
return {'started', startedAt}`);

/**
 * Ends a queued or active job as completed or failed. Ending a job also records its webhook
 * event (KEYS[3], a transactional outbox) when the record is marked `notify`: the event exists
 * exactly when the result is final, so a crash can neither send a webhook for a result not yet
 * stored nor lose the event of a stored one. A relay turns the stream entry into delivery jobs
 * (webhooks/webhook-outbox-relay.ts). The job's cost ledger write rides on the same transition
 * (see cost/cost-ledger-scripts.ts), so it happens exactly once; so may the close of its call
 * journal (see resilience/call-journal-scripts.ts), which then needs no script of its own.
 *
 * KEYS: the transition layout, then the webhook outbox stream, then the six ledger keys when
 * there is a ledger spec (usage hash, day and month spend, three reservation keys), then the
 * job's call journal and its late-calls list when the journal is closed.
 * ARGV: status ('completed' or 'failed'), now (epoch ms), field ('result' or 'error'), its JSON
 * value, the finished record's lifetime (seconds), job id, ledger spec ('' for none), upgraded
 * ('1' when the result is a speculative job's upgrade: a `job.upgraded` event, and an outbox
 * entry `upgraded`, precede the status event), the late-calls list's lifetime (seconds; '' to
 * leave the journal alone), then the call keys of the attempts the value holds (see
 * `journalCallKey`), then the transition layout's three.
 * Returns 0 when the job had already ended (the journal is left alone), else {the job's tenant
 * ('' when unknown, for the dead-letter list), the model of each late call of the journal...}.
 * The record's fields it needs are read in one command and its end written in one more.
 */
export const finishScript = new LuaScript(`${publishStatus}${ledgerLua}${closeJournalLua}
local record = redis.call('HMGET', KEYS[1], 'status', 'notify', 'ends_channel', 'tenant', 'result_writes')
local status = record[1]
if status ~= 'active' and status ~= 'queued' then return 0 end
local journal = 4
if ARGV[7] ~= '' then
  apply_ledger(4, ARGV[7])
  journal = 10
end
if ARGV[1] == 'completed' then
  local writes = string.format('%d', (tonumber(record[5]) or 0) + 1)
  redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2], ARGV[3], ARGV[4], 'result_writes', writes)
else
  redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2], ARGV[3], ARGV[4])
end
redis.call('HDEL', KEYS[1], 'last_error', 'upgrade')
redis.call('EXPIRE', KEYS[1], ARGV[5])
local notify = record[2] == '1'
if ARGV[8] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[#ARGV - 2], '*', 'event', 'job.upgraded', 'data', ARGV[4])
  if notify then redis.call('XADD', KEYS[3], '*', 'job_id', ARGV[6], 'status', 'upgraded') end
end
publish_final('{"status":"' .. ARGV[1] .. '","' .. ARGV[3] .. '":' .. ARGV[4] .. '}', record[3])
if notify then
  redis.call('XADD', KEYS[3], '*', 'job_id', ARGV[6], 'status', ARGV[1])
end
local reply = {}
if ARGV[9] ~= '' then
  local stored = {}
  for i = 10, #ARGV - 3 do stored[ARGV[i]] = true end
  reply = close_journal(KEYS[journal], KEYS[journal + 1], ARGV[9], stored)
end
table.insert(reply, 1, record[4] or '')
return reply`);

/**
 * Puts a failed job of the tenant back to queued for a manual retry (dead-letter re-run),
 * moving its error to `last_error`.
 *
 * KEYS, and ARGV after its own: the transition layout.
 * ARGV: tenant.
 * Returns 'reopened', 'missing' (no such job of this tenant), or the job's status when it is
 * not failed.
 */
export const reopenScript = new LuaScript(`${publishStatus}
local status = redis.call('HGET', KEYS[1], 'status')
if not status or redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 'missing' end
if status ~= 'failed' then return status end
redis.call('HSET', KEYS[1], 'status', 'queued', 'last_error', redis.call('HGET', KEYS[1], 'error'))
redis.call('HDEL', KEYS[1], 'error', 'finished_at')
redis.call('EXPIRE', KEYS[1], pendingTtl)
publish('{"status":"queued"}', pendingTtl)
return 'reopened'`);

/**
 * Puts an active job back to queued while it waits for a retry, noting why.
 *
 * KEYS, and ARGV after its own: the transition layout.
 * ARGV: the failure as JSON.
 * Returns 1, or 0 when the job was not active.
 */
export const requeueScript = new LuaScript(`${publishStatus}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'active' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'queued', 'last_error', ARGV[1])
publish('{"status":"queued","last_error":' .. ARGV[1] .. '}', pendingTtl)
return 1`);

/**
 * Cancels a queued job of the tenant. A job that ends without running releases its budget
 * reservation in the same step. A speculative job whose initial answer is stored and whose
 * upgrade is pending is cancelled too: it keeps its initial result (`upgrade` becomes
 * `cancelled`), and the job's stop flag (KEYS[6]) tells its worker to abort the upgrade call;
 * the worker then settles the calls' cost ({@link settleCancelledScript}), so the reservation
 * stays until then.
 *
 * A job marked `notify` also gets a `cancelled` outbox entry (KEYS[7]): only OpenAI-format
 * endpoints have an event for it (`response.cancelled`); the relay drops it for the others.
 *
 * KEYS: the transition layout, then the tenant's three budget reservation keys (KEYS[3..5]),
 * then the job's stop flag (KEYS[6]), then the webhook outbox stream (KEYS[7]).
 * ARGV: tenant, now (epoch ms), the cancelled record's lifetime (seconds), job id (the
 * reservation id), then the transition layout's three.
 * Returns {'cancelled', 'cancelled'}, {'missing', ''}, or {'not_cancellable', status}.
 */
export const cancelScript = new LuaScript(`${publishStatus}${ledgerLua}${notifyCancelled}
local status = redis.call('HGET', KEYS[1], 'status')
if not status or redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return {'missing', ''} end
if status == 'active' and redis.call('HGET', KEYS[1], 'upgrade') == 'pending' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[2], 'upgrade', 'cancelled')
  redis.call('SET', KEYS[6], '1', 'EX', eventsTtl)
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  publish_final('{"status":"cancelled"}')
  notify_cancelled(KEYS[7], ARGV[4])
  return {'cancelled', 'cancelled'}
end
if status ~= 'queued' then return {'not_cancellable', status} end
release_reservation(3, ARGV[4], nil)
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
publish_final('{"status":"cancelled"}')
notify_cancelled(KEYS[7], ARGV[4])
return {'cancelled', 'cancelled'}`);

/**
 * Ends a queued or active job as cancelled on the worker's side: its client asked to stop (a
 * disconnected stream).
 *
 * KEYS: the transition layout, then optionally the tenant's three budget reservation keys
 * (KEYS[3..5]), whose reservation is then released, then the webhook outbox stream (last; a
 * job marked `notify` gets a `cancelled` entry, as {@link cancelScript} says).
 * ARGV: now (epoch ms), the cancelled record's lifetime (seconds), job id (the reservation
 * id), then the transition layout's three.
 * Returns 1, or 0 when the job had already ended.
 */
export const stopScript = new LuaScript(`${publishStatus}${ledgerLua}${notifyCancelled}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'active' and status ~= 'queued' then return 0 end
if #KEYS >= 6 then release_reservation(3, ARGV[3], nil) end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
publish_final('{"status":"cancelled"}')
notify_cancelled(KEYS[#KEYS], ARGV[3])
return 1`);

/**
 * Stores a speculative job's initial answer while the job stays active: the record's `result`
 * (marked `upgrade` pending, so a cancel may end the job keeping it), a `job.initial` event on
 * the stream, and an outbox entry `initial` when the record is marked `notify`. The job is not
 * completed: that is the upgrade's `finishScript`.
 *
 * KEYS: the transition layout, then the webhook outbox stream.
 * ARGV: the initial result as JSON, job id, then the transition layout's three.
 * Returns 1, or 0 when the job is not active (cancelled, or already ended).
 */
export const initialScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'active' then return 0 end
redis.call('HSET', KEYS[1], 'result', ARGV[1], 'upgrade', 'pending')
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[#ARGV - 2], '*', 'event', 'job.initial', 'data', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[#ARGV])
if redis.call('HGET', KEYS[1], 'notify') == '1' then
  redis.call('XADD', KEYS[3], '*', 'job_id', ARGV[2], 'status', 'initial')
end
return 1`);

/**
 * Settles a speculative job cancelled while its upgrade was pending: the cost ledger write of
 * the calls it made (and the release of its budget reservation), once.
 *
 * KEYS: the job's record hash, then the six ledger keys (see cost/cost-ledger-scripts.ts).
 * ARGV: the ledger spec (its reservation id inside; see cost/cost-ledger-scripts.ts).
 * Returns 1 when this call settled the job, else 0.
 */
export const settleCancelledScript = new LuaScript(`${ledgerLua}
if redis.call('HGET', KEYS[1], 'upgrade') ~= 'cancelled' then return 0 end
redis.call('HSET', KEYS[1], 'upgrade', 'settled')
apply_ledger(2, ARGV[1])
return 1`);
