import { LuaScript } from '../redis/lua-script';
import { ledgerLua } from './cost-ledger-scripts';

// Lua of the budget store (budget-store.ts). Amounts are nano-dollars; Lua's doubles hold them
// exactly below 2^53 (about $9 million).

/**
 * Decides a budget reservation. One script decides, so concurrent submits are serialised by
 * Redis: each sees the spend and every reservation made before it, and `spent + reserved +
 * estimate <= limit` holds after every accepted one. Since a reservation is the job's worst case
 * (input plus the largest output on the dearest model of its chain, plus its hedge), spend can
 * pass a hard limit only where an actual bill exceeds its estimate: a provider whose tokenizer
 * counts more than o200k, or a reservation that expired before its job ran. Expired
 * reservations (up to 100 per call) are released first; a reservation id already held is
 * accepted again without counting twice. A soft limit crossed is reported once per period
 * (the notice keys).
 *
 * KEYS: the tenant's budget hash, day spend, month spend, reservations hash, reserved total,
 * reservation expiry set, soft-notice key of the day, soft-notice key of the month.
 * ARGV: reservation id, estimate, now (epoch ms), expires at (epoch ms), default limits (daily
 * hard, daily soft, monthly hard, monthly soft; -1 for none), day notice lifetime (seconds),
 * month notice lifetime (seconds).
 * Returns {'ok', soft, ratio} (soft: '', 'daily' or 'monthly', the limit newly crossed; ratio:
 * the highest share of a hard limit now spent or reserved), or {'exceeded', period, limit,
 * spent, reserved}.
 */
export const reserveScript = new LuaScript(`${ledgerLua}
local expired = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', ARGV[3], 'LIMIT', 0, 100)
for _, id in ipairs(expired) do release_reservation(4, id, nil) end
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 1 then return {'ok', '', '0'} end
local config = redis.call('HMGET', KEYS[1], 'daily_hard', 'daily_soft', 'monthly_hard', 'monthly_soft')
local function limit(i) return tonumber(config[i] or ARGV[4 + i]) end
local dayHard, daySoft, monthHard, monthSoft = limit(1), limit(2), limit(3), limit(4)
local spentDay = tonumber(redis.call('GET', KEYS[2]) or '0')
local spentMonth = tonumber(redis.call('GET', KEYS[3]) or '0')
local reserved = tonumber(redis.call('GET', KEYS[5]) or '0')
local estimate = tonumber(ARGV[2])
if dayHard >= 0 and spentDay + reserved + estimate > dayHard then
  return {'exceeded', 'daily', tostring(dayHard), tostring(spentDay), tostring(reserved)}
end
if monthHard >= 0 and spentMonth + reserved + estimate > monthHard then
  return {'exceeded', 'monthly', tostring(monthHard), tostring(spentMonth), tostring(reserved)}
end
if redis.call('HSETNX', KEYS[4], ARGV[1], ARGV[2]) == 1 then
  redis.call('INCRBY', KEYS[5], ARGV[2])
  redis.call('ZADD', KEYS[6], ARGV[4], ARGV[1])
end
local soft = ''
if daySoft >= 0 and spentDay + reserved + estimate > daySoft
  and redis.call('SET', KEYS[7], '1', 'NX', 'EX', ARGV[9]) then soft = 'daily' end
if soft == '' and monthSoft >= 0 and spentMonth + reserved + estimate > monthSoft
  and redis.call('SET', KEYS[8], '1', 'NX', 'EX', ARGV[10]) then soft = 'monthly' end
local ratio = 0
if dayHard > 0 then ratio = math.max(ratio, (spentDay + reserved + estimate) / dayHard) end
if monthHard > 0 then ratio = math.max(ratio, (spentMonth + reserved + estimate) / monthHard) end
return {'ok', soft, tostring(ratio)}`);

/**
 * Releases a reservation (a job that ended without the ledger's help); a no-op when none.
 *
 * KEYS: the tenant's reservations hash, reserved total, reservation expiry set.
 * ARGV: reservation id.
 * Returns 1.
 */
export const releaseScript = new LuaScript(`${ledgerLua}
release_reservation(1, ARGV[1], nil)
return 1`);
