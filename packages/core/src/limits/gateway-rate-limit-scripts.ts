import { LuaScript } from '../redis/lua-script';

/**
 * Counts one request of a subject in a sliding window of `buckets` buckets, or refuses it.
 *
 * The window is a hash of bucket index (⌊now / bucket ms⌋) → requests counted in it. A
 * request is allowed while the buckets from `current - buckets` to `current` hold fewer than
 * `limit` requests: that span covers the last window and up to one bucket more, so no window
 * of that length ever holds more than `limit` (a fixed window let 2× through across its
 * boundary); the price is that a request is forgotten up to one bucket late. Refused
 * requests are not counted. Memory is at most `buckets + 1` fields whatever the limit.
 *
 * KEYS[1] the subject's bucket hash
 * ARGV[1] now, ms ('' to read Redis TIME: one clock for every API instance);
 * ARGV[2] bucket length, ms; ARGV[3] buckets per window; ARGV[4] limit
 * Returns {allowed 0|1, requests counted in the window (this one included when allowed),
 *   ms until the next request would be allowed (0 while some remain),
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
if total < limit then
  allowed = 1
  redis.call('HINCRBY', KEYS[1], string.format('%d', current), 1)
  redis.call('PEXPIRE', KEYS[1], (buckets + 1) * size)
  total = total + 1
  counted[#counted + 1] = {current, 1}
end
table.sort(counted, function(a, b) return a[1] < b[1] end)
local function leaves(index) return (index + buckets + 1) * size - now end
local retry = 0
if total >= limit then
  local freed = 0
  for _, entry in ipairs(counted) do
    freed = freed + entry[2]
    if total - freed < limit then
      retry = leaves(entry[1])
      break
    end
  end
end
local reset = 0
if #counted > 0 then reset = leaves(counted[1][1]) end
return {allowed, total, retry, reset}
`);
