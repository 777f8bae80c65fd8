import { LuaScript } from '../redis/lua-script';

// Every script reads the clock with TIME, so all workers judge windows by one clock (Redis's),
// whatever their own clocks say. Windows are sliding logs: a sorted set of reservation ids
// scored by when they were made, and a hash of each reservation's tokens plus their running
// total ('#total') and the time the next refused caller is told to come back ('#next').

/**
 * Reserves one request and ARGV[2] tokens in every bucket, or refuses with the wait until
 * they would fit. KEYS[1]: the model's pause flag; then per bucket its log and its hash.
 * ARGV: reservation id, tokens, bucket count, arrival allowance ms, then per bucket window
 * ms, max requests and max tokens per window (0: not limited), then optionally '1' for a try:
 * a refusal then leaves the schedule of refused callers alone. Returns {1} or
 * {0, wait_ms, reason}.
 *
 * A reservation is dated the arrival allowance ahead: until its call ends (and the settle
 * script re-dates it to that moment) nobody knows when the provider counted it, so it keeps
 * its place for the longest time the call may take to arrive.
 *
 * Refused callers are spread out: each is told to come back one request's share of the
 * window (window / max requests, or window × tokens / max tokens) after the previous one, so
 * a thousand parked jobs do not all wake at the same instant and fight for one slot.
 */
export const reserveScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1]
local tokens = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local allowance = tonumber(ARGV[4])
local wait = 0
local reason = ''
local paused = redis.call('PTTL', KEYS[1])
if paused > 0 then
  wait = paused
  reason = redis.call('GET', KEYS[1]) or 'retry_after'
end
local function evict(log, hash, cutoff)
  while true do
    local old = redis.call('ZRANGEBYSCORE', log, '-inf', cutoff, 'LIMIT', 0, 500)
    if #old == 0 then return end
    local costs = redis.call('HMGET', hash, unpack(old))
    local freed = 0
    for i = 1, #costs do freed = freed + (tonumber(costs[i]) or 0) end
    redis.call('ZREM', log, unpack(old))
    redis.call('HDEL', hash, unpack(old))
    redis.call('HINCRBY', hash, '#total', -freed)
    if #old < 500 then return end
  end
end
local costs = {}
local gaps = {}
for b = 1, n do
  local log = KEYS[2 * b]
  local hash = KEYS[2 * b + 1]
  local window = tonumber(ARGV[2 + 3 * b])
  local max_requests = tonumber(ARGV[3 + 3 * b])
  local max_tokens = tonumber(ARGV[4 + 3 * b])
  evict(log, hash, now - window)
  -- A request larger than a whole window waits for an empty one rather than forever.
  local cost = tokens
  if max_tokens > 0 and cost > max_tokens then cost = max_tokens end
  costs[b] = cost
  gaps[b] = 0
  if max_requests > 0 then gaps[b] = window / max_requests end
  if max_tokens > 0 and window * cost / max_tokens > gaps[b] then
    gaps[b] = window * cost / max_tokens
  end
  local count = redis.call('ZCARD', log)
  if max_requests > 0 and count + 1 > max_requests then
    local first = redis.call('ZRANGE', log, count - max_requests, count - max_requests, 'WITHSCORES')
    local w = tonumber(first[2]) + window - now
    if w > wait then wait = w; reason = 'rpm' end
  end
  if max_tokens > 0 then
    local total = tonumber(redis.call('HGET', hash, '#total') or '0')
    local excess = total + cost - max_tokens
    if excess > 0 then
      -- The oldest reservations that must leave the window before this one fits.
      local w = window
      local start = 0
      while excess > 0 do
        local entries = redis.call('ZRANGE', log, start, start + 99, 'WITHSCORES')
        if #entries == 0 then break end
        local ids = {}
        for i = 1, #entries, 2 do ids[#ids + 1] = entries[i] end
        local values = redis.call('HMGET', hash, unpack(ids))
        for i = 1, #ids do
          excess = excess - (tonumber(values[i]) or 0)
          if excess <= 0 then
            w = tonumber(entries[2 * i]) + window - now
            break
          end
        end
        start = start + 100
      end
      if w > wait then wait = w; reason = 'tpm' end
    end
  end
end
if wait > 0 then
  local back_at = now + wait
  for b = 1, n do
    if gaps[b] > 0 then
      local scheduled = tonumber(redis.call('HGET', KEYS[2 * b + 1], '#next') or '0')
      if scheduled > back_at then back_at = scheduled end
    end
  end
  -- A try (a model's other deployments may have room) takes no place in the schedule; it
  -- learns when it would be let in, so the caller can queue where the line is shortest.
  if ARGV[5 + 3 * n] == '1' then return {0, math.ceil(back_at - now), reason} end
  for b = 1, n do
    if gaps[b] > 0 then
      local hash = KEYS[2 * b + 1]
      local window = tonumber(ARGV[2 + 3 * b])
      redis.call('HSET', hash, '#next', math.ceil(back_at + gaps[b]))
      local keep = math.ceil(2 * window + allowance + back_at - now)
      redis.call('PEXPIRE', hash, keep)
      redis.call('PEXPIRE', KEYS[2 * b], keep)
    end
  end
  return {0, math.ceil(back_at - now), reason}
end
for b = 1, n do
  local log = KEYS[2 * b]
  local hash = KEYS[2 * b + 1]
  local window = tonumber(ARGV[2 + 3 * b])
  redis.call('ZADD', log, now + allowance, id)
  redis.call('HSET', hash, id, costs[b])
  redis.call('HINCRBY', hash, '#total', costs[b])
  local scheduled = tonumber(redis.call('HGET', hash, '#next') or '0')
  local keep = 2 * window + allowance
  if scheduled > now then keep = keep + scheduled - now end
  redis.call('PEXPIRE', log, keep)
  redis.call('PEXPIRE', hash, keep)
end
return {1}`);

/**
 * Settles a reservation after its call. ARGV[2] is the actual tokens (-1: remove the
 * reservation, the call was never made; -2: keep the estimate). The reservation, dated ahead
 * by the arrival allowance, is re-dated to now when that is earlier: the provider counted the
 * call when it arrived, never after it answered. KEYS: per bucket its log and hash. A
 * reservation already out of its window is left alone.
 */
export const reconcileScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1]
local actual = tonumber(ARGV[2])
for b = 1, #KEYS / 2 do
  local log = KEYS[2 * b - 1]
  local hash = KEYS[2 * b]
  local score = redis.call('ZSCORE', log, id)
  if score then
    score = tonumber(score)
    local old = tonumber(redis.call('HGET', hash, id) or '0')
    if actual == -1 then
      redis.call('ZREM', log, id)
      redis.call('HDEL', hash, id)
      redis.call('HINCRBY', hash, '#total', -old)
    else
      if actual >= 0 then
        redis.call('HSET', hash, id, actual)
        redis.call('HINCRBY', hash, '#total', actual - old)
      end
      if now < score then redis.call('ZADD', log, now, id) end
    end
  end
end
return 1`);

/**
 * Pauses a model for ARGV[1] ms unless it is already paused for longer; the flag's value
 * (ARGV[2]) says why. Returns 1 when the pause was set or extended.
 */
export const pauseScript = new LuaScript(`
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ms)
  return 1
end
return 0`);
