import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/lua-script';
import type { RedisKeys } from '../redis/redis-keys';

/** BullMQ's largest priority (`PRIORITY_LIMIT`, 2^21 - 1); lower runs first, FIFO among equals. */
export const maxQueuePriority = 2 ** 21 - 1;

/**
 * Virtual-time units per BullMQ priority step. A job of request priority p costs p units, so a
 * default-priority (5) job moves its flow one step and a priority-1 job a fifth of one.
 */
export const fairUnitsPerStep = 5;

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
 * - across tenants, priority is a weight: a priority-1 job costs 1, a priority-10 job 10.
 * When the lane holds no waiting or delayed job (wait, prioritized, paused and delayed are
 * empty), the next assignment starts a new epoch: the state is dropped and tags restart from 0.
 * Delayed jobs (retry backoff, parked on a provider's Retry-After) hold the epoch, as they come
 * back with their tags; a job running at the reset that is retried later keeps its old tag
 * and may run after newer work. Tags past
 * BullMQ's largest priority are clamped to it, where jobs run in FIFO order: fairness degrades
 * to FIFO (no job is lost) until the lane drains and a new epoch starts.
 *
 * KEYS[1] the lane's fair hash; KEYS[2..5] the queue's wait list, prioritized set, paused list,
 * delayed set
 * ARGV[1] tenant, ARGV[2] request priority (1..10), ARGV[3] how many jobs,
 * ARGV[4] units per step, ARGV[5] largest queue priority
 * Returns the BullMQ priority of each job, in order.
 */
const assignScript = new LuaScript(`
if redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3]) + redis.call('LLEN', KEYS[4])
    + redis.call('ZCARD', KEYS[5]) == 0 then
  redis.call('DEL', KEYS[1])
end
local tenant = ARGV[1]
local priority = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local step = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
local fields = {'v', 'top'}
for level = 1, priority do fields[#fields + 1] = 'f:' .. level .. ':' .. tenant end
local values = redis.call('HMGET', KEYS[1], unpack(fields))
local start = tonumber(values[1]) or 0
local top = tonumber(values[2]) or 0
for index = 3, #values do
  local last = tonumber(values[index])
  if last and last > start then start = last end
end
local priorities = {}
local finish = start
for index = 1, count do
  finish = finish + priority
  local queuePriority = math.ceil(finish / step)
  if queuePriority > limit then queuePriority = limit end
  priorities[index] = queuePriority
end
if finish > top then top = finish end
redis.call('HSET', KEYS[1], 'f:' .. priority .. ':' .. tenant, finish, 'top', top)
return priorities
`);

/**
 * Moves the lane's virtual clock forward to a started job's tag. A tag above the highest one
 * handed out in this epoch belongs to an earlier epoch (a retried or delayed job that came
 * back) and is ignored, so it cannot push the new epoch's clock far ahead.
 *
 * KEYS[1] the lane's fair hash; ARGV[1] the started job's tag, units
 */
const advanceScript = new LuaScript(`
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

/**
 * Tenant-fair BullMQ priorities for the prompt lanes (see the script above for the scheme).
 * The submit path calls `assign` (one Lua call; once per `addBulk` chunk for batch lines); a
 * worker calls `started` when it starts a job.
 */
export class FairPriority {
  private readonly clocks = new Map<string, LaneClock>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /**
   * BullMQ priorities for `count` jobs of one tenant and request priority (1 first, 10 last)
   * about to be added to `queue`, in the order they will be added.
   */
  async assign(queue: Queue, tenant: string, priority: number, count = 1): Promise<number[]> {
    if (count <= 0) return [];
    const level = Math.min(10, Math.max(1, Math.round(priority)));
    return (await assignScript.run(
      this.redis,
      [
        this.keys.fairQueue(queue.name),
        queue.toKey('wait'),
        queue.toKey('prioritized'),
        queue.toKey('paused'),
        queue.toKey('delayed'),
      ],
      [tenant, level, count, fairUnitsPerStep, maxQueuePriority],
    )) as number[];
  }

  /** Advances the lane's clock to the tag of a job with this BullMQ priority (awaited). */
  async advance(queueName: string, queuePriority: number): Promise<void> {
    const tag = tagOf(queuePriority);
    if (tag === undefined) return;
    await advanceScript.run(this.redis, [this.keys.fairQueue(queueName)], [tag]);
  }

  /**
   * Records that a worker started a job of `queueName` with this BullMQ priority, without
   * waiting: at most one advance per lane is in flight, later starts fold into the next one,
   * so a busy worker sends far fewer calls than it starts jobs.
   */
  started(queueName: string, queuePriority: number | undefined): void {
    const tag = tagOf(queuePriority);
    if (tag === undefined) return;
    let clock = this.clocks.get(queueName);
    if (!clock) {
      clock = { pending: -1, inflight: false };
      this.clocks.set(queueName, clock);
    }
    if (tag <= clock.pending) return;
    clock.pending = tag;
    if (!clock.inflight) void this.flush(queueName, clock);
  }

  private async flush(queueName: string, clock: LaneClock): Promise<void> {
    clock.inflight = true;
    let sent = -1;
    try {
      while (clock.pending > sent) {
        sent = clock.pending;
        await advanceScript.run(this.redis, [this.keys.fairQueue(queueName)], [sent]);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      clock.inflight = false;
      // A new epoch may restart tags below what this process sent last; start afresh.
      clock.pending = -1;
    }
  }
}

interface LaneClock {
  /** Highest tag seen since the last flush started. */
  pending: number;
  inflight: boolean;
}

/**
 * The lowest virtual tag a job of this BullMQ priority can carry: the clock moves to the start
 * of the job's step, so a flow arriving now lands in the same step, behind what is queued there.
 */
function tagOf(queuePriority: number | undefined): number | undefined {
  if (!queuePriority || queuePriority < 1 || queuePriority > maxQueuePriority) return undefined;
  return (Math.floor(queuePriority) - 1) * fairUnitsPerStep;
}
