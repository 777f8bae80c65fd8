import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type FairAssignment, FairPriority } from '../lanes/fair-priority';
import { RedisKeys } from '../redis/redis-keys';
import { JobStore } from './job-store';
import { enqueueSubmission, type LaneQueues, type Submission } from './submission';
import { SubmissionRepair } from './submission-repair';
import { SubmissionStore } from './submission-store';
import { SubmissionSweeper } from './submission-sweeper';

let redis: Redis;
let keys: RedisKeys;
let store: JobStore;
let submissions: SubmissionStore;
let queues: LaneQueues & { interactive: Queue };
let repair: SubmissionRepair;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-submit'));
  store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
  submissions = new SubmissionStore(redis, keys, { recordTtlSeconds: 600 });
  queues = {
    standard: new Queue('prompts-standard', { connection: redis, prefix: keys.prefix }),
    interactive: new Queue('prompts-interactive', { connection: redis, prefix: keys.prefix }),
  };
  repair = new SubmissionRepair(submissions, queues);
});
afterEach(async () => {
  await queues.standard.close();
  await queues.interactive.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

function submissionOf(jobId: string, lane: Submission['lane'] = 'standard'): Submission {
  return {
    lane,
    attempts: 3,
    priority: 5,
    data: {
      jobId,
      tenant: 'acme',
      model: 'sim-gpt-fast',
      request: { messages: [{ role: 'user', content: 'hi' }] },
      createdAt: 1000,
    },
  };
}

/** Accepts a job as a submit does, without its enqueue: what a crash between the two leaves. */
async function accept(
  jobId: string,
  options: { key?: string; body?: string; now?: number; fair?: FairAssignment } = {},
) {
  return submissions.accept({
    record: { id: jobId, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1000 },
    submission: submissionOf(jobId),
    ...(options.key ? { idempotency: { key: options.key, bodyHash: options.body ?? 'b1' } } : {}),
    ...(options.fair ? { fair: options.fair } : {}),
    now: options.now ?? Date.now(),
  });
}

describe('SubmissionStore.accept', () => {
  it('writes the record, its first event and its submission in one step', async () => {
    await expect(accept('job_1', { key: 'k1' })).resolves.toEqual({
      outcome: 'new',
      enqueued: false,
    });
    expect((await store.get('job_1'))?.status).toBe('queued');
    expect(await redis.xlen(keys.jobEvents('job_1'))).toBe(1);
    expect((await submissions.read('job_1'))?.data.jobId).toBe('job_1');
  });

  it('answers the job holding the key: existing with the same body, conflict with another', async () => {
    await accept('job_1', { key: 'k1', body: 'b1' });
    await expect(accept('job_2', { key: 'k1', body: 'b1' })).resolves.toEqual({
      outcome: 'existing',
      jobId: 'job_1',
    });
    await expect(accept('job_3', { key: 'k1', body: 'b2' })).resolves.toEqual({
      outcome: 'conflict',
      jobId: 'job_1',
    });
    // Neither refused submit left a record behind.
    expect(await redis.exists(keys.job('job_2'), keys.job('job_3'))).toBe(0);
  });

  it('takes an abandoned submit back whole, so the same key creates a new job', async () => {
    await accept('job_1', { key: 'k1' });
    await expect(submissions.abandon('acme', 'job_1', 'k1')).resolves.toBe(true);
    expect(await store.get('job_1')).toBeNull();
    expect(await submissions.read('job_1')).toBeUndefined();
    await expect(accept('job_2', { key: 'k1' })).resolves.toEqual({
      outcome: 'new',
      enqueued: false,
    });
  });

  it('does not take back a job a worker already started', async () => {
    await accept('job_1', { key: 'k1' });
    await store.start('job_1');
    await expect(submissions.abandon('acme', 'job_1', 'k1')).resolves.toBe(false);
    expect((await store.get('job_1'))?.status).toBe('active');
    await expect(accept('job_2', { key: 'k1' })).resolves.toEqual({
      outcome: 'existing',
      jobId: 'job_1',
    });
  });
});

describe('SubmissionStore.accept with a fair tag', () => {
  it('tags a new job as FairPriority.assign would, and a replayed key takes no tag', async () => {
    const fair = new FairPriority(redis, keys);
    const assignment = () => fair.assignment(queues.standard, 'acme', 5);
    const first = await accept('job_1', { key: 'k1', fair: await assignment() });
    expect(first).toEqual({ outcome: 'new', queuePriority: 1, enqueued: false });
    // Queued, so the lane's epoch holds: the tenant's next job is tagged one step later.
    await enqueueSubmission(queues, submissionOf('job_1'), 1);
    await expect(accept('job_2', { key: 'k1', fair: await assignment() })).resolves.toEqual({
      outcome: 'existing',
      jobId: 'job_1',
    });
    // Had the replay taken a tag, this job would be two steps behind the first.
    await expect(accept('job_3', { fair: await assignment() })).resolves.toEqual({
      outcome: 'new',
      queuePriority: 2,
      enqueued: false,
    });
    // The same sequence through assign alone, in a fresh lane of the same queue's shape.
    const other = new FairPriority(redis, new RedisKeys(`${keys.prefix}-assign`));
    const lane = new Queue('prompts-standard', {
      connection: redis,
      prefix: `${keys.prefix}-assign`,
    });
    try {
      expect(await other.assign(lane, 'acme', 5)).toEqual([1]);
      await lane.add('prompt', {}, { jobId: 'job_1', priority: 1 });
      expect(await other.assign(lane, 'acme', 5)).toEqual([2]);
    } finally {
      await lane.close();
      await cleanupPrefix(redis, `${keys.prefix}-assign`);
    }
  });
});

describe('SubmissionRepair', () => {
  it('enqueues a queued job whose queue entry is missing, once', async () => {
    await accept('job_1');
    expect(await queues.standard.getJob('job_1')).toBeUndefined();
    await expect(repair.ensureQueued('job_1')).resolves.toBe('requeued');
    const job = await queues.standard.getJob('job_1');
    expect(job?.data.jobId).toBe('job_1');
    expect(job?.opts.attempts).toBe(3);
    await expect(repair.ensureQueued('job_1')).resolves.toBe('present');
    expect(await queues.standard.count()).toBe(1);
  });

  it('leaves a job that ran or was cancelled alone', async () => {
    await accept('job_1');
    await store.start('job_1');
    await expect(repair.ensureQueued('job_1')).resolves.toBe('not_queued');
    await accept('job_2');
    await store.cancel('job_2', 'acme');
    await expect(repair.ensureQueued('job_2')).resolves.toBe('not_queued');
    expect(await queues.standard.count()).toBe(0);
  });

  it('sweeps only submissions older than the grace, and forgets the ones it checked', async () => {
    const now = Date.now();
    await accept('job_old', { now: now - 60_000 });
    await accept('job_enqueued', { now: now - 60_000 });
    await enqueueSubmission(queues, submissionOf('job_enqueued'));
    await accept('job_new', { now });
    await expect(repair.sweep(10_000, 500, now)).resolves.toEqual({
      checked: 2,
      requeued: 1,
      lost: 0,
    });
    expect(await queues.standard.getJob('job_old')).toBeDefined();
    expect(await queues.standard.getJob('job_new')).toBeUndefined();
    expect(await submissions.pending(now, 10)).toEqual(['job_new']);
    expect(await submissions.read('job_old')).toBeUndefined();
  });

  it('puts an interactive job back in the interactive lane', async () => {
    await submissions.accept({
      record: { id: 'job_i', tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1 },
      submission: submissionOf('job_i', 'interactive'),
    });
    await expect(repair.ensureQueued('job_i')).resolves.toBe('requeued');
    expect(await queues.interactive.getJob('job_i')).toBeDefined();
    expect(await queues.standard.getJob('job_i')).toBeUndefined();
  });
});

describe('SubmissionSweeper', () => {
  it('sweeps on the worker holding the lease and skips on the others', async () => {
    await accept('job_1', { now: Date.now() - 60_000 });
    const repaired: number[] = [];
    const sweeper = (onRepair: (requeued: number) => void) =>
      new SubmissionSweeper({
        redis,
        keys,
        repair,
        intervalMs: 60_000,
        graceMs: 1000,
        onRepair: (tally) => onRepair(tally.requeued),
      });
    await redis.set(keys.submissionSweepLease(), 'another-worker', 'PX', 60_000);
    await sweeper((n) => repaired.push(n)).tick();
    expect(repaired).toEqual([]);
    expect(await queues.standard.getJob('job_1')).toBeUndefined();
    await redis.del(keys.submissionSweepLease());
    await sweeper((n) => repaired.push(n)).tick();
    expect(repaired).toEqual([1]);
    expect(await queues.standard.getJob('job_1')).toBeDefined();
  });
});
