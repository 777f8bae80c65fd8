import { LuaScript } from '../../redis/lua-script';

// A stored response's turn is a hash under `<turn prefix><response id>` (see
// `RedisKeys.storedResponseTurn`): `previous` (the response it continues, '' for none),
// `messages` (its segment of the conversation, JSON) and `children` (how many later turns were
// saved continuing it). The scripts reach the turns of a chain by their ids, under the same
// tenant-scoped prefixes as KEYS[1], so one tenant's chain never reaches another's keys, and on
// Redis Cluster every one of them shares the hash-tagged prefix's slot.

/**
 * Saves a response and its turn (the body of a script, and of the function a new job's accept
 * script runs it as: see `ResponseStore.saveWithJob`). A turn continuing another expires with
 * it: the read of the conversation this turn continues (`readConversationScript`, just before)
 * extended the whole chain to a full lifetime, and the new response and its turn take what is
 * left of it (the lifetime less the time the request took to accept), so no ancestor expires
 * before a turn that continues it and saving costs the same however long the chain.
 *
 * KEYS: 1 the stored response, 2 its turn.
 * ARGV: 1 the stored response (JSON), 2 lifetime s, 3 the previous response id ('' for none),
 * 4 the segment's messages (JSON), 5 turn prefix (a turn's key is the prefix and its id).
 */
export const saveTurnLua = `
local lifetime = tonumber(ARGV[2]) * 1000
-- Saved again: its previous turn counts it already.
local fresh = redis.call('EXISTS', KEYS[2]) == 0
if ARGV[3] ~= '' then
  local previous = ARGV[5] .. ARGV[3]
  local left = redis.call('PTTL', previous)
  if left > 0 and left < lifetime then lifetime = left end
  if fresh and left ~= -2 then redis.call('HINCRBY', previous, 'children', 1) end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', lifetime)
redis.call('HSET', KEYS[2], 'previous', ARGV[3], 'messages', ARGV[4])
redis.call('PEXPIRE', KEYS[2], lifetime)
return 1
`;

/** {@link saveTurnLua} on its own (a new job's accept script runs it as a `CompanionWrite`). */
export const saveTurnScript = new LuaScript(saveTurnLua);

/**
 * Reads a response's conversation: walks its chain of turns back from it (a loop, so a chain of
 * any length is read in one call), extending each turn's life to a full lifetime on the way.
 *
 * KEYS: 1 the first turn of the walk.
 * ARGV: 1 its response id, 2 turn prefix, 3 stored response prefix, 4 lifetime s.
 *
 * Returns {end, id, segment…}, segments newest first. `end` is 'complete' (the chain's first
 * turn was reached), 'snapshot' (turn `id` has no turn key but a stored response from before
 * turns were stored apart, which holds its whole conversation: its JSON is the last element) or
 * 'missing' (neither exists for `id`: expired, or removed by a delete nothing continued).
 */
export const readConversationScript = new LuaScript(`
local ttl = tonumber(ARGV[4])
local reply = {'', ''}
local id = ARGV[1]
local key = KEYS[1]
while true do
  local turn = redis.call('HMGET', key, 'previous', 'messages')
  if not turn[2] then
    local old = redis.call('GET', ARGV[3] .. id)
    reply[2] = id
    if old then
      reply[1] = 'snapshot'
      reply[#reply + 1] = old
    else
      reply[1] = 'missing'
    end
    return reply
  end
  redis.call('EXPIRE', key, ttl)
  reply[#reply + 1] = turn[2]
  if not turn[1] or turn[1] == '' then
    reply[1] = 'complete'
    return reply
  end
  id = turn[1]
  key = ARGV[2] .. id
end
`);

/**
 * Deletes a stored response, and its turn unless a later turn continues it; a turn removed so
 * leaves its previous one with a child fewer, which goes too when its own response was deleted
 * (or expired) and nothing else continues it.
 *
 * KEYS: 1 the stored response.
 * ARGV: 1 its id, 2 turn prefix, 3 stored response prefix.
 *
 * Returns 1 when the stored response existed, else 0.
 */
export const deleteTurnScript = new LuaScript(`
local deleted = redis.call('DEL', KEYS[1])
local id = ARGV[1]
while true do
  local key = ARGV[2] .. id
  local turn = redis.call('HMGET', key, 'previous', 'children')
  if not turn[1] then break end
  if tonumber(turn[2] or '0') > 0 or redis.call('EXISTS', ARGV[3] .. id) == 1 then break end
  redis.call('DEL', key)
  id = turn[1]
  if id == '' or redis.call('EXISTS', ARGV[2] .. id) == 0 then break end
  redis.call('HINCRBY', ARGV[2] .. id, 'children', -1)
end
return deleted
`);
