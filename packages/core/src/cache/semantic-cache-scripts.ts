import { LuaScript } from '../redis/lua-script';

/**
 * Stores one semantic entry and keeps its owner within bounds, atomically: a new id, the id
 * appended to its bucket in every table, the entry's fields, its place in the owner's age and
 * expiry sets; then entries past their expiry (at most 100 a call) and the oldest entries past
 * `maxEntries` are removed with their bucket memberships. Every key gets at least the entry's
 * TTL, so an idle owner disappears from Redis on its own.
 *
 * Eviction reaches other scopes of the same owner by keys derived from the set members
 * (`<scope base>|<id>`), not declared in KEYS: fine on one Redis, and on a cluster with a
 * hash-tagged prefix (every llmq key in one slot, see `RedisKeys`).
 *
 * KEYS: scope lsh, scope entries, owner seq, owner age, owner expiry.
 * ARGV: scope base, now ms, expires-at ms, ttl s, maxEntries, vector, guards, result, buckets…
 */
export const semanticStoreScript = new LuaScript(`
local function removeEntry(member)
  local cut = string.find(member, '|[^|]*$')
  if not cut then
    redis.call('ZREM', KEYS[4], member)
    redis.call('ZREM', KEYS[5], member)
    return
  end
  local base = string.sub(member, 1, cut - 1)
  local id = string.sub(member, cut + 1)
  local lsh = base .. ':lsh'
  local entries = base .. ':entries'
  local buckets = redis.call('HGET', entries, 's' .. id)
  if buckets then
    for field in string.gmatch(buckets, '[^,]+') do
      local ids = redis.call('HGET', lsh, field)
      if ids then
        local kept = {}
        for other in string.gmatch(ids, '[^,]+') do
          if other ~= id then kept[#kept + 1] = other end
        end
        if #kept == 0 then
          redis.call('HDEL', lsh, field)
        else
          redis.call('HSET', lsh, field, table.concat(kept, ','))
        end
      end
    end
    redis.call('HDEL', entries, 'v' .. id, 'g' .. id, 'r' .. id, 's' .. id)
  end
  redis.call('ZREM', KEYS[4], member)
  redis.call('ZREM', KEYS[5], member)
end

local id = tostring(redis.call('INCR', KEYS[3]))
local ttl = tonumber(ARGV[4])
local fields = {}
for index = 9, #ARGV do
  local field = ARGV[index]
  fields[#fields + 1] = field
  local ids = redis.call('HGET', KEYS[1], field)
  if ids then
    redis.call('HSET', KEYS[1], field, ids .. ',' .. id)
  else
    redis.call('HSET', KEYS[1], field, id)
  end
end
redis.call('HSET', KEYS[2], 'v' .. id, ARGV[6], 'g' .. id, ARGV[7], 'r' .. id, ARGV[8],
  's' .. id, table.concat(fields, ','))
local member = ARGV[1] .. '|' .. id
redis.call('ZADD', KEYS[4], ARGV[2], member)
redis.call('ZADD', KEYS[5], ARGV[3], member)
for index = 1, 5 do
  if redis.call('TTL', KEYS[index]) < ttl then redis.call('EXPIRE', KEYS[index], ttl) end
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[2], 'LIMIT', 0, 100)
for _, old in ipairs(expired) do removeEntry(old) end
local over = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[5])
if over > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, over - 1)) do removeEntry(old) end
end
return id
`);
