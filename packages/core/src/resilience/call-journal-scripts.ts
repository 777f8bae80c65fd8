import { LuaScript } from '../redis/lua-script';

/**
 * Forgets a job's journal of provider calls once the job has ended: its record's final
 * transition stored every attempt, so no call of it can be unaccounted for any more.
 * KEYS: 1 the job's record, 2 its open-calls hash. Returns 1 when the journal was dropped,
 * 0 when the job has not ended (a parked or retried job's next run still reads it).
 */
export const clearFinishedScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'completed' or status == 'failed' or status == 'cancelled' then
  redis.call('DEL', KEYS[2])
  return 1
end
return 0`);
