import { LuaScript } from '../redis/lua-script';

// Lua of the lanes' fair priorities (fair-priority.ts).

/**
 * Self-clocked fair queuing (Golestani's SCFQ) mapped onto BullMQ priorities, for one lane
 * (one queue). Each tenant+priority pair is a flow with a last virtual finish tag; the lane has
 * a virtual clock `v` (the tag of the job a worker started last). A job's
 * start = max(v, the tenant's last tag at this or a more urgent priority), its
 * finish = start + cost (cost = request priority, 1..10), and its BullMQ priority is the finish
 * tag in steps (rounded up, at least 1). So:
 * - tenants take turns: a tenant arriving behind another's 100,000 queued jobs is tagged from
 *   `v`, next to the head of the backlog, not behind it;
 * - within a tenant, a job never overtakes the tenant's queued work of the same or a more
 *   urgent priority, while a more urgent job starts from `v`, ahead of its less urgent work;
 * - across tenants, priority is a weight: a priority-1 job costs 1, a priority-10 job 10;
 * - a tenant's own weight (set by an operator, default 1) divides the cost: a weight-3 tenant's
 *   jobs cost a third, so it gets three turns to a weight-1 tenant's one in a saturated lane.
 * When the lane holds no waiting or delayed job (wait, prioritized, paused and delayed are
 * empty), the next assignment starts a new epoch: the state is dropped and tags restart from 0.
 * (The prioritized set, where tagged jobs wait, is read first: a lane with a backlog costs one read.)
 * Delayed jobs (retry backoff, parked on a provider's Retry-After) hold the epoch, as they come
 * back with their tags; a job running at the reset that is retried later keeps its old tag
 * and may run after newer work. Tags past
 * BullMQ's largest priority are clamped to it, where jobs run in FIFO order: fairness degrades
 * to FIFO (no job is lost) until the lane drains and a new epoch starts.
 *
 * Defined as a Lua function, `assign_fair_priorities`, so the submit's accept script (see
 * jobs/submit-scripts.ts) tags its job in the same call; `assignScript` runs it alone.
 * Its arguments: the lane's fair hash; the queue's wait list, prioritized set, paused list and
 * delayed set; the tenant, the request priority (1..10), how many jobs, units per step, the
 * largest queue priority and the tenant's weight. It returns the BullMQ priority of each job,
 * in order.
 */
export const assignFairPrioritiesLua = `
local function assign_fair_priorities(fair, wait, prioritized, paused, delayed, tenant,
    requestPriority, jobCount, unitsPerStep, largestPriority, weight)
  if redis.call('ZCARD', prioritized) == 0 and redis.call('LLEN', wait) == 0
      and redis.call('ZCARD', delayed) == 0 and redis.call('LLEN', paused) == 0 then
    redis.call('DEL', fair)
  end
  local priority = tonumber(requestPriority)
  local count = tonumber(jobCount)
  local step = tonumber(unitsPerStep)
  local limit = tonumber(largestPriority)
  local cost = priority / tonumber(weight)
  local fields = {'v', 'top'}
  for level = 1, priority do fields[#fields + 1] = 'f:' .. level .. ':' .. tenant end
  local values = redis.call('HMGET', fair, unpack(fields))
  local start = tonumber(values[1]) or 0
  local top = tonumber(values[2]) or 0
  for index = 3, #values do
    local last = tonumber(values[index])
    if last and last > start then start = last end
  end
  local priorities = {}
  local finish = start
  for index = 1, count do
    finish = finish + cost
    local queuePriority = math.ceil(finish / step)
    if queuePriority > limit then queuePriority = limit end
    priorities[index] = queuePriority
  end
  if finish > top then top = finish end
  redis.call('HSET', fair, 'f:' .. priority .. ':' .. tenant, finish, 'top', top)
  return priorities
end
`;

/**
 * Tags jobs of one tenant in one lane (see {@link assignFairPrioritiesLua}).
 *
 * KEYS[1] the lane's fair hash; KEYS[2..5] the queue's wait list, prioritized set, paused list,
 * delayed set
 * ARGV[1] tenant, ARGV[2] request priority (1..10), ARGV[3] how many jobs,
 * ARGV[4] units per step, ARGV[5] largest queue priority, ARGV[6] the tenant's weight
 * Returns the BullMQ priority of each job, in order.
 */
export const assignScript = new LuaScript(`${assignFairPrioritiesLua}
return assign_fair_priorities(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5],
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
`);

/**
 * Moves the lane's virtual clock forward to a started job's tag. A tag above the highest one
 * handed out in this epoch belongs to an earlier epoch (a retried or delayed job that came
 * back) and is ignored, so it cannot push the new epoch's clock far ahead.
 *
 * KEYS[1] the lane's fair hash; ARGV[1] the started job's tag, units
 * Returns 1 when the clock moved, else 0.
 */
export const advanceScript = new LuaScript(`
local values = redis.call('HMGET', KEYS[1], 'v', 'top')
local top = tonumber(values[2])
local tag = tonumber(ARGV[1])
if not top or tag > top then return 0 end
if tag > (tonumber(values[1]) or 0) then
  redis.call('HSET', KEYS[1], 'v', tag)
  return 1
end
return 0
`);
