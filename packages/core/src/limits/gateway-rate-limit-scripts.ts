import { LuaScript } from '../redis/lua-script';

/**
 * Counts one request (of weight `cost`: 1 for a request, its tokens for a token limit) of a
 * subject in a sliding window of `buckets` buckets, or refuses it.
 *
 * The window is a hash of bucket index (⌊now / bucket ms⌋) → requests counted in it. A
 * request is allowed while the buckets from `current - buckets` to `current` hold no more than
 * `limit - cost`: that span covers the last window and up to one bucket more, so no window
 * of that length ever holds more than `limit` (a fixed window let 2× through across its
 * boundary); the price is that a request is forgotten up to one bucket late. Refused
 * requests are not counted. Memory is at most `buckets + 1` fields whatever the limit.
 *
 * KEYS[1] the subject's bucket hash
 * ARGV[1] now, ms ('' to read Redis TIME: one clock for every API instance);
 * ARGV[2] bucket length, ms; ARGV[3] buckets per window; ARGV[4] limit; ARGV[5] cost
 * Returns {allowed 0|1, weight counted in the window (this one included when allowed),
 *   ms until a request of this cost would be allowed (0 while it fits; -1 never: the cost
 *   alone is over the limit),
 *   ms until the oldest counted bucket leaves the window (0 when none)}.
 */
export const slidingWindowConsumeScript = new LuaScript(`
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local size = tonumber(ARGV[2])
local buckets = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local current = math.floor(now / size)
local oldest = current - buckets
local entries = redis.call('HGETALL', KEYS[1])
local counted = {}
local total = 0
for i = 1, #entries, 2 do
  local index = tonumber(entries[i])
  if index < oldest then
    redis.call('HDEL', KEYS[1], entries[i])
  else
    local count = tonumber(entries[i + 1])
    total = total + count
    counted[#counted + 1] = {index, count}
  end
end
local allowed = 0
if total + cost <= limit then
  allowed = 1
  redis.call('HINCRBY', KEYS[1], string.format('%d', current), cost)
  redis.call('PEXPIRE', KEYS[1], (buckets + 1) * size)
  total = total + cost
  counted[#counted + 1] = {current, cost}
end
table.sort(counted, function(a, b) return a[1] < b[1] end)
local function leaves(index) return (index + buckets + 1) * size - now end
local retry = 0
if cost > limit then
  retry = -1
elseif total + cost > limit then
  local freed = 0
  for _, entry in ipairs(counted) do
    freed = freed + entry[2]
    if total - freed + cost <= limit then
      retry = leaves(entry[1])
      break
    end
  end
end
local reset = 0
if #counted > 0 then reset = leaves(counted[1][1]) end
return {allowed, total, retry, reset}
`);
