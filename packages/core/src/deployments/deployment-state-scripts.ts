import { LuaScript } from '../redis/lua-script';

/**
 * Reads what the pick strategies need of every deployment of one model, in one round trip.
 * KEYS, six per deployment: its in-flight set, its statistics hash, its rate-limit pause flag,
 * its circuit hash, its rate window log and token hash. ARGV: in-flight age limit ms, then per
 * deployment its rate window ms (0: no limits). Returns, per deployment, {in flight, latency
 * ('' before the first), unhealthy 0/1, requests in the window, tokens in the window}.
 */
export const readDeploymentStateScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stale = tonumber(ARGV[1])
local out = {}
for d = 0, #KEYS / 6 - 1 do
  local k = d * 6
  redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', now - stale)
  local in_flight = redis.call('ZCARD', KEYS[k + 1])
  local latency = redis.call('HGET', KEYS[k + 2], 'latency') or ''
  local unhealthy = 0
  if redis.call('PTTL', KEYS[k + 3]) > 0 then unhealthy = 1 end
  local circuit = redis.call('HMGET', KEYS[k + 4], 'state', 'open_until')
  if circuit[1] == 'half_open' then unhealthy = 1 end
  if circuit[1] == 'open' and now < tonumber(circuit[2] or 0) then unhealthy = 1 end
  local requests = 0
  local tokens = 0
  local window = tonumber(ARGV[d + 2])
  if window > 0 then
    requests = redis.call('ZCOUNT', KEYS[k + 5], now - window, '+inf')
    tokens = tonumber(redis.call('HGET', KEYS[k + 6], '#total') or '0')
  end
  out[#out + 1] = in_flight
  out[#out + 1] = latency
  out[#out + 1] = unhealthy
  out[#out + 1] = requests
  out[#out + 1] = tokens
end
return out
`);

/**
 * Ends a tracked call. KEYS: the deployment's in-flight set and statistics hash. ARGV: call
 * id, latency ms (negative: the call failed, the average is left alone), smoothing factor.
 * Returns the moving average afterwards ('' when none).
 */
export const endDeploymentCallScript = new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
local latency = tonumber(ARGV[2])
if latency < 0 then return redis.call('HGET', KEYS[2], 'latency') or '' end
local alpha = tonumber(ARGV[3])
local old = tonumber(redis.call('HGET', KEYS[2], 'latency') or '')
local value = latency
if old then value = alpha * latency + (1 - alpha) * old end
redis.call('HSET', KEYS[2], 'latency', tostring(value))
return tostring(value)
`);
