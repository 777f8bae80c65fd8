import { LuaScript } from '../redis/lua-script';

// Lua of the circuit breaker (circuit-breaker.ts). One script per transition, so two workers
// can never both take the last probe slot or both miss a threshold crossing. A circuit is a
// hash with the fields state, failures (consecutive), win_start, win_total, win_fail,
// fail_at (the latest failure's time), open_until, probes, probe_at and opened (a count).

/**
 * Asks to call a model: a closed circuit lets the call through; an open one whose cooldown has
 * passed turns half-open and lets this caller through as the probe; a half-open one lets
 * through up to ARGV[2] probes at once, freeing a probe slot not reported within ARGV[3] ms.
 * A call let through is put on its job's journal in the same step, when one is given (the
 * call journal's record, see `CallRecorder.openCall`); a refused one leaves nothing there.
 *
 * With a start gate (the job's record, see `OpenCall.gate`), nothing is read or taken unless
 * the record says `active`: a run whose start was sent just before, on the same connection,
 * is let through only when that start let it in.
 *
 * KEYS: the circuit hash; optionally a hold flag (a rate pause, see `CircuitBreaker.acquire`):
 * while it is set nothing is taken and the caller is told how long it still holds; optionally
 * the job's record (the start gate, only with a journal); optionally, last, the job's journal
 * (open-calls hash).
 * ARGV: now (epoch ms), half-open probes, probe timeout (ms); with a journal, the call's id,
 * its record and the journal's lifetime (s), then '1' when the record before it is a gate.
 * Returns {'allowed', probe ('1' or '0'), 0}, {'open' | 'half_open', '0', retry at (epoch
 * ms)}, {'held', the flag's value, its remaining ms}, or {'gated', '0', 0}.
 */
export const acquireScript = new LuaScript(`
local journal = #ARGV >= 6 and KEYS[#KEYS] or nil
local gate = ARGV[7] == '1' and KEYS[#KEYS - 1] or nil
if gate and redis.call('HGET', gate, 'status') ~= 'active' then return {'gated', '0', 0} end
if KEYS[2] and KEYS[2] ~= journal and KEYS[2] ~= gate then
  local held = redis.call('PTTL', KEYS[2])
  if held > 0 then return {'held', redis.call('GET', KEYS[2]) or '', held} end
end
local function allowed(probe)
  if journal then
    redis.call('HSET', journal, ARGV[4], ARGV[5])
    redis.call('EXPIRE', journal, ARGV[6])
  end
  return {'allowed', probe, 0}
end
local now = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'state', 'open_until', 'probes', 'probe_at')
local state = s[1] or 'closed'
if state == 'closed' then return allowed('0') end
if state == 'open' then
  local open_until = tonumber(s[2] or 0)
  if now < open_until then return {'open', '0', open_until} end
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'probes', 1, 'probe_at', now)
  return allowed('1')
end
local probes = tonumber(s[3] or 0)
local probe_at = tonumber(s[4] or 0)
if now - probe_at >= tonumber(ARGV[3]) then probes = 0 end
if probes >= tonumber(ARGV[2]) then return {'half_open', '0', probe_at + tonumber(ARGV[3])} end
redis.call('HSET', KEYS[1], 'probes', probes + 1, 'probe_at', now)
return allowed('1')`);

/**
 * Records a call's outcome: a probe's success closes a half-open circuit and its failure opens
 * it again; a closed circuit opens after ARGV[4] failures in a row, or when the window holds at
 * least ARGV[6] calls of which the failed share reaches ARGV[5]. Outcomes of non-probe calls
 * reported while open or half-open change nothing.
 *
 * A non-probe success may stand for several (ARGV[9], `CircuitBreaker`'s batched background
 * record, sent up to its batch window late, ARGV[1] the latest success's time): on a closed
 * circuit they add that many calls to the window, and reset the consecutive failures unless a
 * failure was recorded after them (`fail_at`, the latest failure's time): a late batch must not
 * undo failures another worker saw since. On an open or half-open circuit, nothing.
 *
 * KEYS: the circuit hash, the set of every circuit (for the snapshot; added to as the hash is
 * created).
 * ARGV: now (epoch ms), outcome ('success' or 'failure'), was a probe (1 or 0), consecutive
 * failures, failure ratio, minimum requests, window (ms), cooldown (ms), calls (default 1).
 * Returns {state before, state after}.
 */
export const recordScript = new LuaScript(`
local now = tonumber(ARGV[1])
local failed = ARGV[2] == 'failure'
-- The state and the closed circuit's counts in one read (most records find it closed).
local s = redis.call('HMGET', KEYS[1], 'state', 'failures', 'win_start', 'win_total', 'win_fail',
  'fail_at')
local state = s[1]
-- Every write of a circuit sets its state, so a hash without one is about to be created.
if not state then
  redis.call('SADD', KEYS[2], KEYS[1])
  state = 'closed'
end
local function open()
  redis.call('HSET', KEYS[1], 'state', 'open', 'open_until', now + tonumber(ARGV[8]), 'probes', 0,
    'failures', 0, 'win_start', now, 'win_total', 0, 'win_fail', 0)
  redis.call('HINCRBY', KEYS[1], 'opened', 1)
  return {state, 'open'}
end
if state == 'half_open' then
  if ARGV[3] ~= '1' then return {state, state} end
  if failed then return open() end
  redis.call('HSET', KEYS[1], 'state', 'closed', 'probes', 0, 'failures', 0, 'win_start', now,
    'win_total', 0, 'win_fail', 0)
  return {state, 'closed'}
end
if state == 'open' then return {state, state} end
local failures = tonumber(s[2] or 0)
local win_start = tonumber(s[3] or now)
local total = tonumber(s[4] or 0)
local fails = tonumber(s[5] or 0)
if now - win_start >= tonumber(ARGV[7]) then win_start = now; total = 0; fails = 0 end
total = total + tonumber(ARGV[9] or 1)
local fail_at = tonumber(s[6] or 0)
if failed then
  failures = failures + 1; fails = fails + 1
  if now > fail_at then fail_at = now end
elseif now >= fail_at then
  failures = 0
end
if failed and (failures >= tonumber(ARGV[4]) or
    (total >= tonumber(ARGV[6]) and fails / total >= tonumber(ARGV[5]))) then
  return open()
end
redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', failures, 'win_start', win_start,
  'win_total', total, 'win_fail', fails, 'fail_at', fail_at)
return {state, 'closed'}`);
