import { cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { TenantFlowStore } from '../tenants/tenant-flow-store';
import { FairPriority } from './fair-priority';

let redis: Redis;
let keys: RedisKeys;
let queue: Queue;
let flows: TenantFlowStore;
let fair: FairPriority;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-weights'));
  queue = new Queue('lane', { connection: redis, prefix: keys.prefix });
  flows = new TenantFlowStore(redis, keys);
  fair = new FairPriority(redis, keys, undefined, flows);
});
afterEach(async () => {
  await queue.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

/** Queues `count` jobs of a tenant one by one, as `POST /v1/jobs` does. */
async function submit(tenant: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const [priority] = await fair.assign(queue, tenant, 5);
    await queue.add('job', { tenant }, { jobId: `${tenant}-${index}`, priority });
  }
}

/** Runs the lane with one slot until `count` jobs ran; the tenants of those jobs, in order. */
async function run(count: number): Promise<string[]> {
  const ran: string[] = [];
  const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const worker = new Worker(
    'lane',
    async (job) => {
      fair.started('lane', job.opts.priority);
      ran.push(job.data.tenant);
      if (ran.length >= count) await worker.pause(true);
    },
    { connection, prefix: keys.prefix, concurrency: 1 },
  );
  try {
    await waitFor(async () => (ran.length >= count ? true : undefined), {
      timeoutMs: 30_000,
      what: `${count} jobs to run`,
    });
  } finally {
    await worker.close(true);
    await connection.quit();
  }
  return ran.slice(0, count);
}

describe('tenant weights within a lane (real Redis, a real BullMQ worker)', () => {
  it('gives weights 3:1 a 3:1 share of a saturated lane', async () => {
    await flows.write('heavy', { weight: 3 });
    // Both tenants keep far more queued than the window below runs: the lane is saturated.
    await submit('light', 300);
    await submit('heavy', 300);
    const ran = await run(200);
    const heavy = ran.filter((tenant) => tenant === 'heavy').length;
    const light = ran.length - heavy;
    expect(light).toBeGreaterThan(0);
    // 150:50 exactly by the tags; a step's rounding may move a job or two.
    expect(heavy / light).toBeGreaterThan(2.7);
    expect(heavy / light).toBeLessThan(3.3);
  });

  it('shares a saturated lane equally at the default weight', async () => {
    await submit('light', 200);
    await submit('other', 200);
    const ran = await run(100);
    const other = ran.filter((tenant) => tenant === 'other').length;
    expect(other).toBeGreaterThanOrEqual(48);
    expect(other).toBeLessThanOrEqual(52);
  });
});
