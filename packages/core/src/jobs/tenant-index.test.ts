import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { JobStore } from './job-store';
import { tenantIndexIntervalSeconds } from './job-store-scripts';
import { SubmissionStore } from './submission-store';

// The tenant's job index (the job explorer's) is maintained once per interval by the
// interval's first new job, not by every submit: see `indexNewJobLua`.

const lifetime = 600;
const interval = tenantIndexIntervalSeconds * 1000;
/** A moment 1 s into an interval. */
const start = Math.floor(Date.now() / interval) * interval + 1000;

let redis: Redis;
let keys: RedisKeys;
let submissions: SubmissionStore;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-tenant-index'));
  submissions = new SubmissionStore(redis, keys, { recordTtlSeconds: lifetime });
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

function accept(jobId: string, now: number) {
  return submissions.accept({
    record: { id: jobId, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: now },
    submission: {
      lane: 'standard',
      attempts: 3,
      priority: 5,
      data: {
        jobId,
        tenant: 'acme',
        model: 'sim-gpt-fast',
        request: { messages: [{ role: 'user', content: 'hi' }] },
        createdAt: now,
      },
    },
    now,
  });
}

const index = () => keys.tenantJobs('acme');

describe("a tenant's job index", () => {
  it("gets its lifetime from the interval's first job, which outlasts every job of the interval", async () => {
    await accept('job_1', start);
    const ttl = await redis.ttl(index());
    expect(ttl).toBeGreaterThan(lifetime + tenantIndexIntervalSeconds - 5);
    expect(ttl).toBeLessThanOrEqual(lifetime + tenantIndexIntervalSeconds);
    const sequence = keys.tenantJobSequence('acme', start, tenantIndexIntervalSeconds);
    expect(await redis.ttl(sequence)).toBeGreaterThan(tenantIndexIntervalSeconds);
  });

  it("is left alone by the interval's later jobs, and maintained again in the next interval", async () => {
    await accept('job_1', start);
    await redis.expire(index(), 30);
    await accept('job_2', start + 1000);
    expect(await redis.ttl(index())).toBeLessThanOrEqual(30);
    await accept('job_3', start + interval);
    expect(await redis.ttl(index())).toBeGreaterThan(lifetime);
    expect(await redis.zrange(index(), 0, -1)).toEqual(['job_1', 'job_2', 'job_3']);
  });

  it("loses the entries older than a pending record's lifetime at an interval's first job", async () => {
    await accept('job_old', start);
    await accept('job_recent', start + 2000);
    await accept('job_new', start + lifetime * 1000 + 1000);
    expect(await redis.zrange(index(), 0, -1)).toEqual(['job_recent', 'job_new']);
  });

  it('gives jobs created in the same ms distinct scores', async () => {
    await accept('job_a', start);
    await accept('job_b', start);
    const [a, b] = await Promise.all([
      redis.zscore(index(), 'job_a'),
      redis.zscore(index(), 'job_b'),
    ]);
    expect(a).not.toBeNull();
    expect(a).not.toEqual(b);
  });

  it("is maintained the same way by the job store's create", async () => {
    const store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
    const record = (id: string, createdAt: number) => ({
      id,
      tenant: 'acme',
      model: 'sim-gpt-fast',
      priority: 5,
      createdAt,
    });
    await store.create(record('job_1', start), { index: true });
    expect(await redis.ttl(index())).toBeGreaterThan(store.pendingTtlSeconds);
    await redis.expire(index(), 30);
    await store.create(record('job_2', start + 1000), { index: true });
    expect(await redis.ttl(index())).toBeLessThanOrEqual(30);
    expect(await redis.zcard(index())).toBe(2);
  });
});
