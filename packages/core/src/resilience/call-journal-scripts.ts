import { LuaScript } from '../redis/lua-script';

/**
 * Puts a call on its job's journal as it starts: the record and the journal's lifetime in one
 * command. (A `MULTI` of `HSET` and `EXPIRE` did the same in four commands, and ioredis builds
 * a pipeline object for it that copies every script BullMQ defined on the connection: a few
 * percent of the worker's CPU at one call per job.)
 *
 * KEYS: 1 the job's journal (open-calls hash).
 * ARGV: 1 the call's id, 2 its record (an `interrupted` attempt, JSON), 3 the journal's
 * lifetime, seconds.
 * Returns 1.
 */
export const openCallScript = new LuaScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`);

/**
 * Lua prelude that closes a job's journal of provider calls, for a script that knows the job
 * has ended: `call_key(attempt)` is how a call is matched to a stored attempt (model and start
 * time, `model@started_at`; {@link journalCallKey} is the same in TypeScript);
 * `close_journal(open, late, lifetime, stored)` takes the journal (open-calls hash), the
 * late-calls list, its lifetime (seconds) and the set of the stored attempts' call keys. Every
 * call the stored attempts hold is done with; any other is a call of a run that lost the race
 * to end the job (two runs of one job at once, after a lock was lost while its worker still ran
 * it): it is kept in the late-calls list, billed nowhere else, so it is still counted. Then the
 * journal is dropped. Returns the model of each late call.
 */
export const closeJournalLua = `
local function call_key(attempt)
  if type(attempt) ~= 'table' or type(attempt.started_at) ~= 'number' then return nil end
  return tostring(attempt.model) .. '@' .. string.format('%.0f', attempt.started_at)
end
local function close_journal(open, late, lifetime, stored)
  local models = {}
  local entries = redis.call('HGETALL', open)
  for i = 1, #entries, 2 do
    local ok, attempt = pcall(cjson.decode, entries[i + 1])
    local key = ok and call_key(attempt) or nil
    if not key or not stored[key] then
      redis.call('RPUSH', late, entries[i + 1])
      models[#models + 1] = ok and type(attempt) == 'table' and tostring(attempt.model) or '?'
    end
  end
  if #models > 0 then redis.call('EXPIRE', late, lifetime) end
  redis.call('DEL', open)
  return models
end
`;

/**
 * The key `close_journal` matches a stored attempt's call by (see {@link closeJournalLua}):
 * `model@started_at`, the start time in whole milliseconds.
 */
export function journalCallKey(attempt: { model: string; started_at: number }): string {
  return `${attempt.model}@${attempt.started_at.toFixed(0)}`;
}

/**
 * Closes a job's journal once the job has ended (see {@link closeJournalLua}), matching its
 * calls against the attempts stored in the job's record. The job store's `finish` closes it
 * itself when the run that ends the job asks it to; this script is for every other end (a run
 * that lost the race, a job found already ended).
 *
 * KEYS: 1 the job's record, 2 its journal (open-calls hash), 3 its late-calls list.
 * ARGV: 1 lifetime of the late-calls list, seconds.
 * Returns {0} when the job has not ended (a parked or retried job's next run still reads the
 * journal), else {1, model of each late call...}.
 */
export const closeJournalScript = new LuaScript(`${closeJournalLua}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'completed' and status ~= 'failed' and status ~= 'cancelled' then return {0} end
local stored = {}
local text = redis.call('HGET', KEYS[1], 'result') or redis.call('HGET', KEYS[1], 'error')
if text then
  local ok, decoded = pcall(cjson.decode, text)
  if ok and type(decoded) == 'table' and type(decoded.attempts) == 'table' then
    for _, attempt in ipairs(decoded.attempts) do
      local key = call_key(attempt)
      if key then stored[key] = true end
    end
  end
end
local reply = close_journal(KEYS[2], KEYS[3], ARGV[1], stored)
table.insert(reply, 1, 1)
return reply`);
