import { LuaScript } from '../redis/lua-script';

/**
 * Closes a job's journal of provider calls once the job has ended. Every call its stored
 * attempts hold (result or error, matched by model and start time) is done with; any other is
 * a call of a run that lost the race to end the job (two runs of one job at once, after a lock
 * was lost while its worker still ran it): it is kept in the job's late-calls list, billed
 * nowhere else, so it is still counted. Then the journal is dropped.
 *
 * KEYS: 1 the job's record, 2 its journal (open-calls hash), 3 its late-calls list.
 * ARGV: 1 lifetime of the late-calls list, seconds.
 * Returns {0} when the job has not ended (a parked or retried job's next run still reads the
 * journal), else {1, model of each late call...}.
 */
export const closeJournalScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'completed' and status ~= 'failed' and status ~= 'cancelled' then return {0} end
local function callKey(attempt)
  if type(attempt) ~= 'table' or type(attempt.started_at) ~= 'number' then return nil end
  return tostring(attempt.model) .. '@' .. string.format('%.0f', attempt.started_at)
end
local stored = {}
local text = redis.call('HGET', KEYS[1], 'result') or redis.call('HGET', KEYS[1], 'error')
if text then
  local ok, decoded = pcall(cjson.decode, text)
  if ok and type(decoded) == 'table' and type(decoded.attempts) == 'table' then
    for _, attempt in ipairs(decoded.attempts) do
      local key = callKey(attempt)
      if key then stored[key] = true end
    end
  end
end
local reply = {1}
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local ok, attempt = pcall(cjson.decode, entries[i + 1])
  local key = ok and callKey(attempt) or nil
  if not key or not stored[key] then
    redis.call('RPUSH', KEYS[3], entries[i + 1])
    reply[#reply + 1] = ok and type(attempt) == 'table' and tostring(attempt.model) or '?'
  end
end
if #reply > 1 then redis.call('EXPIRE', KEYS[3], ARGV[1]) end
redis.call('DEL', KEYS[2])
return reply`);
