// Lua of the running-job caps (a tenant's `max_running_jobs`, a key's `max_running_jobs`),
// run inside the job store's start script (jobs/job-store-scripts.ts) so a job is counted in
// the same step that marks it active: two workers can never both take the last place.
//
// A cap's set is a sorted set of job ids scored by when each started. Like a key's
// `max_concurrent_jobs` set (key-concurrency-scripts.ts), a job leaves it lazily: a member
// counts only while its record says `active`, so a job that completed, failed, was
// cancelled, or went back to `queued` to wait for a retry or a rate limit frees its place
// without its finish path knowing. A crashed worker's job stays `active` (and counted) until
// stalled-job recovery runs it again (it is a member already, so it is let in) or fails it.

/**
 * Lua prelude: `running_places(set, record_prefix, job_id)` counts the set's live members
 * (records in status `active`, the job itself excluded) and drops the ones that are not.
 * Linear in the set, which holds at most the cap plus the jobs that ended since the last start.
 */
export const runningCapLua = `
local function running_places(set, record_prefix, job_id)
  local members = redis.call('ZRANGE', set, 0, -1)
  local live = 0
  for i = 1, #members do
    local id = members[i]
    if id ~= job_id then
      if redis.call('HGET', record_prefix .. id, 'status') == 'active' then
        live = live + 1
      else
        redis.call('ZREM', set, id)
      end
    end
  end
  return live
end
`;

/** How long a cap's set lives after its last start, seconds: longer than any job runs. */
export const runningSetTtlSeconds = 7 * 86_400;

/**
 * How long a job that found its running-job cap full waits in the delayed set before a
 * worker tries it again, ms: 500 to 1,000, spread so capped jobs do not all return at once.
 */
export function runningCapRetryDelayMs(random: () => number = Math.random): number {
  return 500 + Math.floor(random() * 500);
}
