import { LuaScript } from '../../redis/lua-script';

// A stored response's turn is a hash under `<turn prefix><response id>` (see
// `RedisKeys.storedResponseTurn`): `previous` (the response it continues, '' for none),
// `messages` (its segment of the conversation, JSON) and one field `child:<id>` per later turn
// saved continuing it. Whether a turn is still continued is asked of those children's own turn
// keys, never of a count: a child that expired (its TTL ended, and nothing ran) is gone by the
// same fact that makes it unreadable, so no expiry can leave a turn counted as continued. A
// turn saved by an llmq from before children were listed may hold `children`, a count of the
// turns then saved continuing it: it is still honoured (a child deleted since takes one off) and
// goes with the turn. The scripts reach the turns of a chain by their ids, under the same
// tenant-scoped prefixes as KEYS[1], so one tenant's chain never reaches another's keys, and on
// Redis Cluster every one of them shares the hash-tagged prefix's slot.

/** The error a save raises when the response its turn continues is gone (see `saveTurnLua`). */
export const previousResponseGone = 'PREVIOUS_RESPONSE_GONE';

/** How many fields of a turn a save samples to drop children that are gone (see `saveTurnLua`). */
const childrenSample = 4;

/**
 * Saves a response and its turn (the body of a script, and of the function a new job's accept
 * script runs it as: see `ResponseStore.saveWithJob`). A turn continuing another is refused,
 * before anything is written, when that response is gone (deleted, or expired, since its
 * conversation was read): it raises `PREVIOUS_RESPONSE_GONE <id>`, so the accept running it
 * queues no job either. Otherwise the new turn is listed as a child of the one it continues, and
 * expires with it: the read of the conversation (`readConversationScript`, just before)
 * extended the whole chain to a full lifetime, and the new response and its turn take what is
 * left of it (the lifetime less the time the request took to accept): they expire at its very
 * millisecond, so no ancestor expires before a turn that continues it, and saving costs the same
 * however long the chain. The save also drops the children that are gone among a few fields it samples, so the list of a turn
 * continued again and again stays about as long as the list of its live children.
 *
 * KEYS: 1 the stored response, 2 its turn, and when it continues one: 3 the previous stored
 * response, 4 its turn.
 * ARGV: 1 the stored response (JSON), 2 lifetime s, 3 the previous response id ('' for none),
 * 4 the segment's messages (JSON), 5 turn prefix (a turn's key is the prefix and its id), 6 the
 * response's id.
 */
export const saveTurnLua = `
local lifetime = tonumber(ARGV[2]) * 1000
-- The previous turn's own expiry time when it ends sooner than a full lifetime: the new keys
-- take that very millisecond, not its PTTL from now, so they never outlive it by one.
local expiresAt = nil
if ARGV[3] ~= '' then
  local left = redis.call('PTTL', KEYS[4])
  if left == -2 or redis.call('EXISTS', KEYS[3]) == 0 then
    error({err = '${previousResponseGone} ' .. ARGV[3]})
  end
  if left > 0 and left < lifetime then expiresAt = redis.call('PEXPIRETIME', KEYS[4]) end
  for _, field in ipairs(redis.call('HRANDFIELD', KEYS[4], ${childrenSample})) do
    if string.sub(field, 1, 6) == 'child:'
      and redis.call('EXISTS', ARGV[5] .. string.sub(field, 7)) == 0 then
      redis.call('HDEL', KEYS[4], field)
    end
  end
  -- Saved again (a retried write), it is the same field.
  redis.call('HSET', KEYS[4], 'child:' .. ARGV[6], '')
end
redis.call('HSET', KEYS[2], 'previous', ARGV[3], 'messages', ARGV[4])
if expiresAt then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', expiresAt)
  redis.call('PEXPIREAT', KEYS[2], expiresAt)
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', lifetime)
  redis.call('PEXPIRE', KEYS[2], lifetime)
end
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
 * Deletes a stored response, and its turn unless a later turn continues it: a child whose turn
 * still exists (the children gone, deleted or expired, are dropped from the list on the way), or
 * a count left by an older llmq. A turn removed so is taken off its previous turn's children,
 * which goes too when its own response was deleted (or expired) and nothing else continues it.
 *
 * KEYS: 1 the stored response.
 * ARGV: 1 its id, 2 turn prefix, 3 stored response prefix.
 *
 * Returns 1 when the stored response existed, else 0.
 */
export const deleteTurnScript = new LuaScript(`
local function continued(key)
  if tonumber(redis.call('HGET', key, 'children') or '0') > 0 then return true end
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 6) == 'child:' then
      if redis.call('EXISTS', ARGV[2] .. string.sub(field, 7)) == 1 then return true end
      redis.call('HDEL', key, field)
    end
  end
  return false
end
local deleted = redis.call('DEL', KEYS[1])
local id = ARGV[1]
while true do
  local key = ARGV[2] .. id
  local previous = redis.call('HGET', key, 'previous')
  if not previous then break end
  if redis.call('EXISTS', ARGV[3] .. id) == 1 or continued(key) then break end
  redis.call('DEL', key)
  local parent = ARGV[2] .. previous
  if previous == '' or redis.call('EXISTS', parent) == 0 then break end
  -- Counted, not listed, when an older llmq saved it.
  if redis.call('HDEL', parent, 'child:' .. id) == 0
    and tonumber(redis.call('HGET', parent, 'children') or '0') > 0 then
    redis.call('HINCRBY', parent, 'children', -1)
  end
  id = previous
end
return deleted
`);
