import { LuaScript } from '../redis/lua-script';

// Lua of the cost ledger (cost-ledger.ts), and the fragment every store that ends billed work
// includes in its own script (job-store-scripts.ts, batch-store-scripts.ts,
// budget-store-scripts.ts).

/**
 * Lua shared by every script that ends a unit of billed work (a job's finish transition, a
 * batch line's record, a standalone ledger write), so the ledger is written in the same
 * atomic step that makes the work final: exactly once, never for a transition that lost.
 *
 * `release_reservation(k, id)` drops a budget reservation (keys k..k+2: reservations hash,
 * reserved total, expiry set) and is a no-op when there is none (already released, expired).
 *
 * `apply_ledger(k, spec)` takes keys k..k+5 (the day's usage hash, the day's and the month's
 * spend counters, then the three reservation keys) and a JSON spec written by
 * `CostLedger.write`: `f` alternating usage-hash fields and integer amounts, `c` the cost in
 * nano-dollars added to both spend counters, `ttl`/`dttl`/`mttl` their lifetimes (seconds),
 * `r` a reservation id to release, or `rp` to release only part (`rpa` nano-dollars) of one
 * (a batch line settling its share of the batch's reservation). Amounts travel as strings so
 * no number ever goes through a Lua double.
 *
 * A key's lifetime is set when this write creates it, not on every write: a counter whose
 * new total equals the amount just added was absent (amounts are positive; zero amounts are
 * never written), and so was the usage hash when its first field's total equals its amount
 * (a model new that day sets it again, harmlessly). Every key is written only during its own
 * day or month, so counting its lifetime from the first write keeps it past its period as
 * before, and three `EXPIRE`s of the ledger's ten commands per job are gone.
 */
export const ledgerLua = `
local function release_reservation(k, id, part)
  local held = redis.call('HGET', KEYS[k], id)
  if not held then return end
  local amount = tonumber(held)
  if part ~= nil and tonumber(part) < amount then
    redis.call('HINCRBY', KEYS[k], id, -tonumber(part))
    redis.call('DECRBY', KEYS[k + 1], part)
    return
  end
  redis.call('HDEL', KEYS[k], id)
  redis.call('DECRBY', KEYS[k + 1], held)
  redis.call('ZREM', KEYS[k + 2], id)
end
local function apply_ledger(k, spec)
  if spec == nil or spec == '' then return end
  local entry = cjson.decode(spec)
  local fields = entry.f
  for i = 1, #fields, 2 do
    local total = redis.call('HINCRBY', KEYS[k], fields[i], fields[i + 1])
    if i == 1 and total == tonumber(fields[2]) then redis.call('EXPIRE', KEYS[k], entry.ttl) end
  end
  if entry.c ~= '0' then
    local cost = tonumber(entry.c)
    if redis.call('INCRBY', KEYS[k + 1], entry.c) == cost then
      redis.call('EXPIRE', KEYS[k + 1], entry.dttl)
    end
    if redis.call('INCRBY', KEYS[k + 2], entry.c) == cost then
      redis.call('EXPIRE', KEYS[k + 2], entry.mttl)
    end
  end
  if entry.r then release_reservation(k + 3, entry.r, nil) end
  if entry.rp then release_reservation(k + 3, entry.rp, entry.rpa) end
end
`;

/**
 * A standalone ledger write (work that ends outside a job or batch transition).
 *
 * KEYS: the six ledger keys of `CostLedger.write` (usage hash, day spend, month spend, then the
 * reservations hash, reserved total and expiry set).
 * ARGV: the ledger spec (see {@link ledgerLua}).
 * Returns 1.
 */
export const recordScript = new LuaScript(`${ledgerLua}
apply_ledger(1, ARGV[1])
return 1`);
