import { LuaScript } from '../redis/lua-script';

// Lua of the API gateway's rate limiter (gateway-rate-limiter.ts).

/**
 * One fixed window per subject, in one hash: the window's start and the requests counted in
 * it. A request at or past the window's end opens a new window. The hash expires with its
 * window, so an idle subject leaves nothing behind. Every API instance runs this against the
 * same key, so the limit is shared across instances; the clock is the caller's (as in the
 * circuit breaker), so tests can move it.
 *
 * KEYS[1] the subject's window hash
 * ARGV[1] now, ms; ARGV[2] window, ms
 * Returns {count in this window (this request included), ms until the window ends}.
 */
export const consumeScript = new LuaScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local start = tonumber(redis.call('HGET', KEYS[1], 'start') or '-1')
if start < 0 or now >= start + window or now < start - window then
  start = now
  redis.call('HSET', KEYS[1], 'start', start, 'count', 0)
  redis.call('PEXPIRE', KEYS[1], window)
end
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
return {count, start + window - now}
`);
