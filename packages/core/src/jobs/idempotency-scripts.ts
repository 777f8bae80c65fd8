import { LuaScript } from '../redis/lua-script';

// An idempotency entry is one string: `<resource id>|<body hash>`, then `|pending:<epoch ms>`
// while the resource is being created (files, batches; see idempotency-store.ts). An entry a
// job submit wrote (`<job id>|<body hash>`, see submit-scripts.ts) reads as done.

/**
 * Claims an Idempotency-Key for a new resource, or reports who holds it.
 *
 * KEYS: 1 the idempotency entry.
 * ARGV: 1 the new resource's id, 2 SHA-256 of the request (route included), 3 entry lifetime s,
 * 4 now (epoch ms), 5 '1' to claim as pending (the resource is created next; a pending claim
 * older than ARGV[6] ms may be taken over by a retry), '0' to claim as done (it exists already),
 * 6 how long a pending claim holds, ms.
 *
 * Returns {outcome, resource id}: 'new' (claimed), 'existing' (done, same body),
 * 'in_progress' (pending and held, same body), 'takeover' (pending, its creator presumed dead:
 * the caller creates the resource under the returned id) or 'conflict' (another body).
 */
export const claimScript = new LuaScript(`
local entry = redis.call('GET', KEYS[1])
if not entry then
  local value = ARGV[1] .. '|' .. ARGV[2]
  if ARGV[5] == '1' then value = value .. '|pending:' .. ARGV[4] end
  redis.call('SET', KEYS[1], value, 'EX', ARGV[3])
  return {'new', ARGV[1]}
end
local first = string.find(entry, '|', 1, true)
local id = string.sub(entry, 1, first - 1)
local rest = string.sub(entry, first + 1)
local second = string.find(rest, '|', 1, true)
local hash = rest
local pendingSince = nil
if second then
  hash = string.sub(rest, 1, second - 1)
  pendingSince = tonumber(string.match(string.sub(rest, second + 1), '^pending:(%d+)$'))
end
if hash ~= ARGV[2] then return {'conflict', id} end
if not pendingSince then return {'existing', id} end
if tonumber(ARGV[4]) - pendingSince < tonumber(ARGV[6]) then return {'in_progress', id} end
redis.call('SET', KEYS[1], id .. '|' .. hash .. '|pending:' .. ARGV[4], 'KEEPTTL')
return {'takeover', id}`);

/**
 * Marks a pending claim done once its resource exists.
 * KEYS: 1 the idempotency entry. ARGV: 1 the resource id. Returns 1, or 0 when the entry no
 * longer names that resource.
 */
export const completeScript = new LuaScript(`
local entry = redis.call('GET', KEYS[1])
if not entry or string.sub(entry, 1, #ARGV[1] + 1) ~= ARGV[1] .. '|' then return 0 end
local rest = string.sub(entry, #ARGV[1] + 2)
local second = string.find(rest, '|', 1, true)
if second then rest = string.sub(rest, 1, second - 1) end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. rest, 'KEEPTTL')
return 1`);

/**
 * Frees a claim whose resource could not be created, so the client's retry can succeed.
 * KEYS: 1 the idempotency entry. ARGV: 1 the resource id. Returns 1 when freed, 0 when the
 * entry names another resource (or none).
 */
export const releaseScript = new LuaScript(`
local entry = redis.call('GET', KEYS[1])
if not entry or string.sub(entry, 1, #ARGV[1] + 1) ~= ARGV[1] .. '|' then return 0 end
redis.call('DEL', KEYS[1])
return 1`);
