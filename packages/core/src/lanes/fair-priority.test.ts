import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { FairPriority, fairUnitsPerStep, maxQueuePriority } from './fair-priority';

let redis: Redis;
let keys: RedisKeys;
let queue: Queue;
let fair: FairPriority;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-fair'));
  queue = new Queue('lane', { connection: redis, prefix: keys.prefix });
  fair = new FairPriority(redis, keys);
});
afterEach(async () => {
  await queue.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

/** Tags `count` jobs of a tenant and queues them with those priorities, as the submit path does. */
async function submit(tenant: string, count: number, priority = 5): Promise<number[]> {
  const priorities = await fair.assign(queue, tenant, priority, count);
  const offset = await redis.incrby(`${keys.prefix}:test-seq:${tenant}`, count);
  await queue.addBulk(
    priorities.map((queuePriority, index) => ({
      name: 'job',
      data: {},
      opts: { jobId: `${tenant}-${offset - count + index}`, priority: queuePriority },
    })),
  );
  return priorities;
}

/** The ids BullMQ would hand out next, in order. */
async function nextJobIds(count: number): Promise<string[]> {
  return redis.zrange(queue.toKey('prioritized'), 0, count - 1);
}

describe('fair priorities (real Redis, real BullMQ ordering)', () => {
  it('interleaves a tenant arriving behind another tenant’s backlog', async () => {
    expect(await submit('a', 1000)).toEqual(Array.from({ length: 1000 }, (_, index) => index + 1));
    expect(await submit('b', 3)).toEqual([1, 2, 3]);
    expect(await nextJobIds(8)).toEqual(['a-0', 'b-0', 'a-1', 'b-1', 'a-2', 'b-2', 'a-3', 'a-4']);

    // Workers ran A's first 600 jobs: the lane's clock is at the last one's step.
    await fair.advance('lane', 600);
    expect(await submit('b', 2)).toEqual([600, 601]);
    // B's new jobs sit next to the head of A's backlog, not behind its 400 remaining jobs.
    await redis.zremrangebyrank(queue.toKey('prioritized'), 0, 601);
    expect(await nextJobIds(4)).toEqual(['a-599', 'b-3', 'a-600', 'b-4']);
  });

  it('orders a tenant’s own work by priority, and weighs priorities across tenants', async () => {
    await submit('a', 10, 5);
    // More urgent: from the lane's clock, ahead of A's queued priority-5 work.
    expect(await submit('a', 1, 1)).toEqual([1]);
    // Less urgent: behind everything A queued at priorities 1 to 9.
    expect(await submit('a', 1, 9)).toEqual([Math.ceil((10 * 5 + 9) / fairUnitsPerStep)]);
    // Another tenant's priority-1 jobs cost a fifth of a priority-5 job: five share a step.
    expect(await submit('b', 6, 1)).toEqual([1, 1, 1, 1, 1, 2]);
    expect(await submit('c', 2, 10)).toEqual([2, 4]);
  });

  it('starts a new epoch when the lane has nothing waiting, ignoring the old epoch’s tags', async () => {
    await submit('a', 50);
    await fair.advance('lane', 40);
    expect(await submit('b', 1)).toEqual([40]);
    await queue.drain();
    // Empty lane: tags restart from 0 for everyone.
    expect(await submit('a', 2)).toEqual([1, 2]);
    // A job of the old epoch (priority 45, e.g. back from the delayed set) does not move the clock.
    await fair.advance('lane', 45);
    expect(await submit('b', 1)).toEqual([1]);
  });

  it('keeps the epoch while a delayed job (retry backoff, parked call) will come back with its tag', async () => {
    await submit('a', 10);
    await queue.add('job', {}, { jobId: 'parked', priority: 8, delay: 60_000 });
    await fair.advance('lane', 8);
    await queue.drain();
    // Nothing waits, but the parked job's tag (8) still counts: no new epoch yet.
    expect(await submit('b', 1)).toEqual([8]);
  });

  it('clamps tags past BullMQ’s largest priority, where jobs run FIFO', async () => {
    await submit('a', 1);
    // Seed the clock near the end of the range (reaching it for real takes ~2M jobs).
    const nearEnd = (maxQueuePriority - 2) * fairUnitsPerStep;
    await redis.hset(keys.fairQueue('lane'), 'v', nearEnd, 'top', nearEnd);
    expect(await submit('b', 4)).toEqual([
      maxQueuePriority - 1,
      maxQueuePriority,
      maxQueuePriority,
      maxQueuePriority,
    ]);
    await redis.zremrangebyrank(queue.toKey('prioritized'), 0, 1);
    expect(await nextJobIds(3)).toEqual(['b-1', 'b-2', 'b-3']);
  });

  it('folds concurrent job starts into few clock advances', async () => {
    await submit('a', 100);
    for (let step = 1; step <= 50; step += 1) fair.started('lane', step);
    // The last advance carries the highest tag seen.
    const deadline = Date.now() + 5000;
    let clock: string | null = null;
    while (Date.now() < deadline) {
      clock = await redis.hget(keys.fairQueue('lane'), 'v');
      if (clock === String(49 * fairUnitsPerStep)) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(clock).toBe(String(49 * fairUnitsPerStep));
    expect(await submit('b', 1)).toEqual([50]);
  });
});
