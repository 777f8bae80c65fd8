import { cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { clearIdleMarker } from './lane-marker';

let redis: Redis;
let keys: RedisKeys;
let queue: Queue;

beforeEach(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  keys = new RedisKeys(uniquePrefix('test-lane-marker'));
  queue = new Queue('lane', { connection: redis, prefix: keys.prefix });
});
afterEach(async () => {
  await queue.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const markers = () => redis.zrange(queue.toKey('marker'), 0, -1);

describe("a lane's idle marker", () => {
  it('is left while a job waits, plain or prioritized', async () => {
    await queue.add('job', {}, { jobId: 'plain' });
    await clearIdleMarker(redis, queue);
    expect(await markers()).toEqual(['0']);
    const other = new Queue('other-lane', { connection: redis, prefix: keys.prefix });
    try {
      await other.add('job', {}, { jobId: 'urgent', priority: 3 });
      await clearIdleMarker(redis, other);
      expect(await redis.zrange(other.toKey('marker'), 0, -1)).toEqual(['0']);
    } finally {
      await other.close();
    }
  });

  it("is removed from an empty lane, and a delayed job's marker is kept", async () => {
    await queue.add('job', {}, { jobId: 'later', delay: 60_000 });
    await redis.zadd(queue.toKey('marker'), 0, '0');
    expect(await markers()).toEqual(['0', '1']);
    await clearIdleMarker(redis, queue);
    expect(await markers()).toEqual(['1']);
  });

  it("left by a worker's fetch of the last job, is cleared, and a job added later still runs", async () => {
    const seen: Array<{ job: string; before: string[]; after: string[] }> = [];
    const worker = new Worker(
      'lane',
      async (job: Job) => {
        const before = await markers();
        await clearIdleMarker(redis, queue);
        seen.push({ job: job.id as string, before, after: await markers() });
      },
      { connection: redis, prefix: keys.prefix, concurrency: 4 },
    );
    try {
      await queue.add('job', {}, { jobId: 'first' });
      await waitFor(() => (seen.length === 1 ? true : undefined), { what: 'the first job' });
      // The fetch put the marker back although no job was left; cleared, nothing wakes for it.
      expect(seen[0]).toEqual({ job: 'first', before: ['0'], after: [] });
      await queue.add('job', {}, { jobId: 'second', priority: 2 });
      await waitFor(() => (seen.length === 2 ? true : undefined), { what: 'the second job' });
      expect(seen[1]?.job).toBe('second');
    } finally {
      await worker.close(true);
    }
  });

  it('reports a failed script to its error hook', async () => {
    const closed = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0 });
    closed.disconnect();
    const errors: unknown[] = [];
    await clearIdleMarker(closed, queue, (error) => errors.push(error));
    expect(errors).toHaveLength(1);
  });
});
