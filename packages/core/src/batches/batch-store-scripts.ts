import { ledgerLua } from '../cost/cost-ledger-scripts';
import { LuaScript } from '../redis/lua-script';

// Lua of the batch store (batch-store.ts). Each transition is one script, so API instances,
// ingesters and any number of workers agree on a batch's state without locks. The done bitmap
// makes each line count exactly once. Each transition also moves the batch between the
// live-status counts (`llm_batches`, a hash of status → count), in the same write. A script
// that claims a batch's finalisation lists the batch as unended (`RedisKeys.unendedBatches`,
// scored by now) in the same write, and a script that ends a batch clears it: the finalise job
// is added after the script, so a crash in between leaves the batch listed for the batch end
// sweeper (`BatchEndRepair`).

/**
 * Validation passed: the batch runs ARGV[1] lines; a validating batch becomes in_progress.
 * A batch that moved on meanwhile (expired or failed while it validated: `finalizing` or
 * final) is left as it is, so the caller queues nothing.
 *
 * KEYS: the batch hash, the live-status counts hash.
 * ARGV: total lines, now (epoch ms).
 * Returns the status the batch had, or '' when there is no such batch.
 */
export const beginScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return '' end
if status ~= 'validating' and status ~= 'in_progress' and status ~= 'cancelling' then return status end
if status == 'validating' then
  redis.call('HSET', KEYS[1], 'status', 'in_progress', 'in_progress_at', ARGV[2])
  redis.call('HINCRBY', KEYS[2], 'validating', -1)
  redis.call('HINCRBY', KEYS[2], 'in_progress', 1)
end
redis.call('HSET', KEYS[1], 'total', ARGV[1])
return status`);

/**
 * The input file is invalid: a validating (or cancelling) batch fails with these errors, and
 * its `batch.failed` event goes to the webhook outbox in the same step.
 *
 * KEYS: the batch hash, the live-status counts hash, the webhook outbox stream, the unended
 * batches set.
 * ARGV: now (epoch ms), the validation errors as JSON, total lines, batch id.
 * Returns 1, or 0 when the batch was past validation.
 */
export const failValidationScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'validating' and status ~= 'cancelling' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'failed', 'failed_at', ARGV[1], 'errors', ARGV[2], 'total', ARGV[3])
redis.call('HINCRBY', KEYS[2], status, -1)
redis.call('XADD', KEYS[3], '*', 'batch_id', ARGV[4], 'status', 'failed')
redis.call('ZREM', KEYS[4], ARGV[4])
return 1`);

/**
 * The batch's ingest gave up (its job's last attempt failed, or it stalled out). A batch whose
 * lines were not all queued, and whose finalisation nobody claimed, stops; claiming
 * finalisation keeps a later line or ingest from ending it again. It ends `failed`, unless a
 * cancel came first (its stop reason `cancelled` stays: a batch in `cancelling` ends
 * `cancelled`, as OpenAI's lifecycle has it); the ingest's error is in its `errors` either
 * way. The stop reason makes lines still queued skip their call.
 *
 * - Never begun (no line queued): it ends now (`failed`, or `cancelled`), its event in the
 *   webhook outbox in the same step.
 * - Begun (some lines may be queued, some running): every line not yet recorded is recorded
 *   now as not run (its bit set in the done bitmap, counted as skipped), so nothing is left to
 *   wait for and a line still running changes none of the batch's counts or files. The done
 *   bitmap as it was is kept twice: for finalisation to list the lines not run (KEYS[5]), and
 *   as the lines billed (KEYS[7]), so a line whose call ends later is billed once all the same
 *   (see {@link recordLineScript}). The batch moves to `finalizing`, and the caller queues its
 *   finalisation, which ends it with the answers recorded before.
 *
 * KEYS: the batch hash, the live-status counts hash, the webhook outbox stream, the done
 * bitmap, the recorded-at-failure bitmap, the unended batches set, the billed-after-failure
 * bitmap.
 * ARGV: now (epoch ms), the errors as JSON, batch id, lifetime of the bitmaps (seconds).
 * Returns {final status, 0} when it ended now ('failed' or 'cancelled'), {'finalize', lines
 * recorded as not run, stop reason}, or {'', 0} when the batch had moved on (its lines all
 * queued, finalising or ended).
 */
export const failIngestScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'validating' and status ~= 'in_progress' and status ~= 'cancelling' then return {'', 0} end
if redis.call('HGET', KEYS[1], 'lines_enqueued') == '1' then return {'', 0} end
if redis.call('HSETNX', KEYS[1], 'finalize_claimed', '1') == 0 then return {'', 0} end
redis.call('HSETNX', KEYS[1], 'stop_reason', 'failed')
local final = redis.call('HGET', KEYS[1], 'stop_reason')
redis.call('HSET', KEYS[1], 'errors', ARGV[2])
redis.call('HINCRBY', KEYS[2], status, -1)
if not redis.call('HGET', KEYS[1], 'in_progress_at') then
  redis.call('HSET', KEYS[1], 'status', final, final .. '_at', ARGV[1])
  redis.call('XADD', KEYS[3], '*', 'batch_id', ARGV[3], 'status', final)
  redis.call('ZREM', KEYS[6], ARGV[3])
  return {final, 0}
end
local total = tonumber(redis.call('HGET', KEYS[1], 'total')) or 0
redis.call('DEL', KEYS[5], KEYS[7])
local recorded = 0
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('COPY', KEYS[4], KEYS[5])
  redis.call('COPY', KEYS[4], KEYS[7])
  recorded = redis.call('BITCOUNT', KEYS[4])
else
  -- No line recorded yet: kept all the same (all zeros), finalisation lists every line.
  redis.call('SETBIT', KEYS[5], total, 0)
  redis.call('SETBIT', KEYS[7], total, 0)
end
local bytes = math.floor(total / 8)
if bytes > 0 then redis.call('SETRANGE', KEYS[4], 0, string.rep(string.char(255), bytes)) end
for index = bytes * 8, total - 1 do redis.call('SETBIT', KEYS[4], index, 1) end
local notRun = math.max(0, total - recorded)
redis.call('HINCRBY', KEYS[1], 'skipped', notRun)
redis.call('HSET', KEYS[1], 'status', 'finalizing', 'finalizing_at', ARGV[1])
redis.call('HINCRBY', KEYS[2], 'finalizing', 1)
redis.call('ZADD', KEYS[6], ARGV[1], ARGV[3])
for _, i in ipairs({4, 5, 7}) do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[4]) end
end
return {'finalize', notRun, final}`);

/**
 * Lists lines of a failed batch as not run in its error lines, each once: a line is listed
 * when its bit in the recorded-at-failure bitmap is 0, and the bit is set as it is listed, so
 * a retried finalisation lists none twice.
 *
 * KEYS: the recorded-at-failure bitmap, the error lines list.
 * ARGV: lifetime of the list (seconds), then pairs of line index and JSONL line.
 * Returns how many lines it listed.
 */
export const listNotRunScript = new LuaScript(`
local listed = 0
for i = 2, #ARGV, 2 do
  if redis.call('SETBIT', KEYS[1], ARGV[i], 1) == 0 then
    redis.call('RPUSH', KEYS[2], ARGV[i + 1])
    listed = listed + 1
  end
end
if listed > 0 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return listed`);

/**
 * Records how one line ended, once: its bit in the done bitmap decides, so a retried or
 * recovered line changes nothing. A completed line goes to the output list, others to the
 * errors list. The line's cost ledger write (see cost/cost-ledger-scripts.ts) rides on the bit that
 * records it, so a line is billed exactly once. The last line claims finalisation.
 *
 * A batch that has ended (or is gone) records nothing more: its counts and files are final.
 * A line of a batch whose ingest gave up (see {@link failIngestScript}) was recorded as not
 * run then; when its call was under way and ends now (answered or failed, not skipped), it is
 * not recorded, but its calls were paid to the provider, so its ledger write is applied all
 * the same, once, by its bit in the billed-after-failure bitmap (which lines recorded before
 * the failure have set already), before or after the batch ends.
 *
 * A line recorded before can be run again (its worker died after recording it, before BullMQ
 * marked its job complete; or a second run of it held a lost lock): that run's own calls were
 * paid too, so their ledger write (ARGV[10], no reservation part: the record freed it) is
 * applied, and the line is not recorded again.
 *
 * KEYS: the batch hash, the done bitmap, the output lines list, the error lines list, the
 * live-status counts hash, the unended batches set, the billed-after-failure bitmap, then
 * optionally the six ledger keys (KEYS[8..13]).
 * ARGV: line index, outcome ('completed', 'failed' or 'skipped'), the JSONL line, input
 * tokens, output tokens, now (epoch ms), lifetime of the lists (seconds), ledger spec ('' for
 * none), batch id, the ledger spec of this run's own calls ('' for none).
 * Returns 0 when the line was recorded before (or its batch ended), 1 when recorded, 2 when it
 * was the batch's last line and the caller must finalise, 3 when it was not recorded but
 * billed (its call ended after its batch's ingest gave up), 4 when it was recorded before and
 * this run's own calls were billed.
 */
export const recordLineScript = new LuaScript(`${ledgerLua}
local status = redis.call('HGET', KEYS[1], 'status')
local live = status == 'validating' or status == 'in_progress' or status == 'finalizing'
  or status == 'cancelling'
if not live or redis.call('SETBIT', KEYS[2], ARGV[1], 1) == 1 then
  if ARGV[2] ~= 'skipped' and #KEYS >= 13 and redis.call('EXISTS', KEYS[7]) == 1
    and redis.call('SETBIT', KEYS[7], ARGV[1], 1) == 0 then
    apply_ledger(8, ARGV[8])
    return 3
  end
  if ARGV[10] ~= '' and #KEYS >= 13 and redis.call('GETBIT', KEYS[2], ARGV[1]) == 1 then
    apply_ledger(8, ARGV[10])
    return 4
  end
  return 0
end
if #KEYS >= 13 then apply_ledger(8, ARGV[8]) end
redis.call('EXPIRE', KEYS[2], ARGV[7])
if ARGV[2] == 'completed' then
  redis.call('RPUSH', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[3], ARGV[7])
  redis.call('HINCRBY', KEYS[1], 'completed', 1)
  redis.call('HINCRBY', KEYS[1], 'input_tokens', ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'output_tokens', ARGV[5])
else
  redis.call('RPUSH', KEYS[4], ARGV[3])
  redis.call('EXPIRE', KEYS[4], ARGV[7])
  redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
end
local f = redis.call('HMGET', KEYS[1], 'total', 'completed', 'failed', 'skipped')
local total = tonumber(f[1])
if total == nil then return 1 end
local done = (tonumber(f[2]) or 0) + (tonumber(f[3]) or 0) + (tonumber(f[4]) or 0)
if done >= total and redis.call('HSETNX', KEYS[1], 'finalize_claimed', '1') == 1 then
  redis.call('ZADD', KEYS[6], ARGV[6], ARGV[9])
  if status == 'in_progress' then
    redis.call('HSET', KEYS[1], 'status', 'finalizing', 'finalizing_at', ARGV[6])
    redis.call('HINCRBY', KEYS[5], 'in_progress', -1)
    redis.call('HINCRBY', KEYS[5], 'finalizing', 1)
  end
  return 2
end
return 1`);

/**
 * Claims finalisation for a batch with nothing left to run (e.g. cancelled while validating).
 *
 * KEYS: the batch hash, the unended batches set. ARGV: now (epoch ms), batch id.
 * Returns 1 when this caller claimed it, 0 when another had.
 */
export const claimFinalizeScript = new LuaScript(`
if redis.call('HSETNX', KEYS[1], 'finalize_claimed', '1') == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1`);

/**
 * Starts cancelling a validating or running batch of the tenant.
 *
 * KEYS: the batch hash, the live-status counts hash.
 * ARGV: tenant, now (epoch ms).
 * Returns {'cancelling', ''}, {'missing', ''} (no such batch of this tenant) or
 * {'not_cancellable', status}.
 */
export const cancelScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status or redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return {'missing', ''} end
if status == 'validating' or status == 'in_progress' then
  redis.call('HSET', KEYS[1], 'status', 'cancelling', 'cancelling_at', ARGV[2])
  redis.call('HSETNX', KEYS[1], 'stop_reason', 'cancelled')
  redis.call('HINCRBY', KEYS[2], status, -1)
  redis.call('HINCRBY', KEYS[2], 'cancelling', 1)
  return {'cancelling', ''}
end
if status == 'cancelling' then return {'cancelling', ''} end
return {'not_cancellable', status}`);

/**
 * The completion window ended: a live batch is marked to stop as expired. A batch whose lines
 * were never queued (still `validating`, or cancelled while validating and never begun) has no
 * line left to end it: it moves to `finalizing` with finalisation claimed, so its ingest, if it
 * runs late, starts nothing, and the caller queues its finalisation (`expired`, or `cancelled`
 * when a cancel came first).
 *
 * KEYS: the batch hash, the live-status counts hash, the unended batches set.
 * ARGV: now (epoch ms), batch id.
 * Returns 2 when the batch is to be finalised now, 1 when its running lines will stop, 0 when
 * it had already ended.
 */
export const expireScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'validating' and status ~= 'in_progress' and status ~= 'cancelling' then return 0 end
redis.call('HSETNX', KEYS[1], 'stop_reason', 'expired')
local never_begun = status == 'validating'
  or (status == 'cancelling' and not redis.call('HGET', KEYS[1], 'in_progress_at'))
if not never_begun then return 1 end
if redis.call('HSETNX', KEYS[1], 'finalize_claimed', '1') == 0 then return 1 end
redis.call('HSET', KEYS[1], 'status', 'finalizing', 'finalizing_at', ARGV[1])
redis.call('HINCRBY', KEYS[2], status, -1)
redis.call('HINCRBY', KEYS[2], 'finalizing', 1)
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return 2`);

/**
 * Sets a live batch's final status (completed, or cancelled, expired or failed by its stop
 * reason) and its file ids. Ending a batch and recording its event (`batch.completed`,
 * `batch.cancelled`, `batch.expired` or `batch.failed`) are one script (the webhook outbox, as for jobs): the relay turns the
 * entry into deliveries for subscribed endpoints.
 *
 * KEYS: the batch hash, the webhook outbox stream, the live-status counts hash, the unended
 * batches set.
 * ARGV: now (epoch ms), output file id ('' for none), error file id ('' for none), batch id.
 * Returns the final status, or '' when the batch had already ended.
 */
export const finishScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'in_progress' and status ~= 'finalizing' and status ~= 'cancelling' and status ~= 'validating' then return '' end
local reason = redis.call('HGET', KEYS[1], 'stop_reason')
local final = 'completed'
if reason == 'cancelled' or reason == 'expired' or reason == 'failed' then final = reason end
redis.call('HSET', KEYS[1], 'status', final, final .. '_at', ARGV[1])
redis.call('HINCRBY', KEYS[3], status, -1)
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'output_file_id', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'error_file_id', ARGV[3]) end
redis.call('XADD', KEYS[2], '*', 'batch_id', ARGV[4], 'status', final)
redis.call('ZREM', KEYS[4], ARGV[4])
return final`);

/**
 * The batch end sweeper's look at one batch listed as unended: what its end waits on now. A
 * batch that ended (or is gone), or whose lines are all queued with its finalisation
 * unclaimed (its last line will claim it and list it again), is cleared in the same step, so a
 * claim cannot slip between the look and the clearing.
 *
 * KEYS: the batch hash, the unended batches set. ARGV: batch id.
 * Returns 'finalize' (its finalisation is claimed: the finalise job ends it), 'ingest'
 * (live, its lines not all queued, unclaimed: its ingest job ends it), or '' (cleared).
 */
export const unendedStageScript = new LuaScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'finalize_claimed', 'lines_enqueued')
local status = f[1]
local live = status == 'validating' or status == 'in_progress' or status == 'finalizing'
  or status == 'cancelling'
if live and f[2] == '1' then return 'finalize' end
if live and f[3] ~= '1' then return 'ingest' end
redis.call('ZREM', KEYS[2], ARGV[1])
return ''`);
