import { LuaScript } from '../redis/lua-script';

// A key's active set is a sorted set: members are job ids, or `slot:<uuid>` for a place taken
// by a request whose job id is not known yet; scores are when the place was taken (ms). A job
// leaves the set lazily: the next acquire reads each member's job record and drops those that
// ended, however they ended (completed, failed, cancelled, expired), so no finish path has to
// remember to release. Job records share the key prefix (and its {hash-tag}), so on Redis
// Cluster they sit in the set's slot.

/**
 * Takes a place for the key, or refuses when `limit` places are live.
 *
 * KEYS[1] the key's active set
 * ARGV[1] now, ms; ARGV[2] limit; ARGV[3] member to add (a `slot:` id or a job id);
 * ARGV[4] the job record key prefix (the record of job X is ARGV[4] .. X);
 * ARGV[5] grace, ms: how long a `slot:` member, or a job id whose record does not exist yet,
 * counts as live; ARGV[6] the set's lifetime, ms
 * Returns {1 taken | 0 refused, live places (the new one included when taken)}.
 */
export const acquireScript = new LuaScript(`
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local grace = tonumber(ARGV[5])
local members = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local live = 0
for i = 1, #members, 2 do
  local id = members[i]
  local fresh = tonumber(members[i + 1]) > now - grace
  local keep = fresh
  if string.sub(id, 1, 5) ~= 'slot:' then
    local status = redis.call('HGET', ARGV[4] .. id, 'status')
    if status then keep = status == 'queued' or status == 'active' end
  end
  if keep then live = live + 1 else redis.call('ZREM', KEYS[1], id) end
end
if live >= limit then return {0, live} end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return {1, live + 1}
`);

/**
 * Turns a `slot:` place into its job's: the job now holds the place until it ends.
 *
 * KEYS[1] the key's active set
 * ARGV[1] the slot member; ARGV[2] the job id; ARGV[3] now, ms
 * Returns 1.
 */
export const bindScript = new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[2])
return 1
`);
