import { createHash } from 'node:crypto';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { FairPriority } from '../lanes/fair-priority';
import { RedisKeys } from '../redis/redis-keys';
import type { CompanionWrite } from './companion-write';
import { JobStore } from './job-store';
import { tenantIndexIntervalSeconds } from './job-store-scripts';
import { queueAddCall, queueAddScripts, queueAddTemplate } from './queue-add';
import { addOptionsOf, type Submission, submissionQueueAdd } from './submission';
import { SubmissionRepair } from './submission-repair';
import { type AcceptRequest, enqueuesInAccept, SubmissionStore } from './submission-store';

let redis: Redis;
let keys: RedisKeys;
let store: JobStore;
let submissions: SubmissionStore;
let queue: Queue;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-accept-enqueue'));
  store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
  submissions = new SubmissionStore(redis, keys, { recordTtlSeconds: 600 });
  queue = new Queue('prompts-standard', { connection: redis, prefix: keys.prefix });
});
afterEach(async () => {
  await queue.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

function submissionOf(jobId: string): Submission {
  return {
    lane: 'standard',
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

async function enqueueOf(submission: Submission) {
  const add = submissionQueueAdd(submission);
  const call = await queueAddCall(queue, add.name, submission.data, add.fixed, add);
  if (!call) throw new Error('the installed BullMQ add cannot run inside the accept script');
  return call;
}

async function accept(
  jobId: string,
  options: {
    key?: string;
    body?: string;
    fair?: boolean;
    enqueue?: false;
    companion?: CompanionWrite;
    /** The submit's moment (epoch ms). */
    now?: number;
  } = {},
) {
  const submission = submissionOf(jobId);
  const fair = options.fair
    ? await new FairPriority(redis, keys).assignment(queue, 'acme', 5)
    : undefined;
  return submissions.accept({
    record: { id: jobId, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1000 },
    submission,
    ...(options.enqueue === false ? {} : { enqueue: await enqueueOf(submission) }),
    ...(options.key ? { idempotency: { key: options.key, bodyHash: options.body ?? 'b1' } } : {}),
    ...(fair ? { fair } : {}),
    ...(options.companion ? { companion: options.companion } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
}

/** An accept whose BullMQ add raises midway: arguments its own Lua cannot use (no key prefix). */
async function acceptWithBrokenAdd(
  jobId: string,
  extra: Pick<AcceptRequest, 'idempotency' | 'companion'>,
) {
  const submission = submissionOf(jobId);
  const enqueue = await enqueueOf(submission);
  const broken = { ...enqueue, args: ['[]', enqueue.args[1], enqueue.args[2]] };
  return submissions.accept({
    record: { id: jobId, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1 },
    submission,
    enqueue: broken as typeof enqueue,
    ...extra,
  });
}

/** A companion write setting two keys of the job's own, as a stored response does. */
function companionOf(jobId: string): CompanionWrite {
  return {
    script: `redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])`,
    keys: [`${keys.prefix}:companion:${jobId}:a`, `${keys.prefix}:companion:${jobId}:b`],
    args: [`a of ${jobId}`, `b of ${jobId}`, 600],
  };
}

async function companionValues(jobId: string): Promise<Array<string | null>> {
  return redis.mget(...companionOf(jobId).keys);
}

/**
 * The BullMQ job hash's fields that do not depend on when the job was added, its options
 * parsed (BullMQ reads them with `JSON.parse`; their key order is the Lua table's).
 */
async function jobFields(jobId: string): Promise<Record<string, unknown>> {
  const { timestamp: _timestamp, opts, ...fields } = await redis.hgetall(queue.toKey(jobId));
  return { ...fields, opts: JSON.parse(opts ?? 'null') };
}

describe('the accept script with BullMQ add inside it', () => {
  it('is what the installed BullMQ allows, and its add Lua is the one BullMQ itself runs', async () => {
    // A BullMQ whose add scripts, keys or arguments are laid out otherwise fails here (the
    // submitter would silently fall back to a second round trip per submit).
    expect(enqueuesInAccept).toBe(true);
    const sha = (text: string) => createHash('sha1').update(text).digest('hex');
    await queue.add('prompt', {}, { jobId: 'job_standard' });
    await queue.add('prompt', {}, { jobId: 'job_prioritized', priority: 3 });
    const [standard, prioritized] = (await redis.script(
      'EXISTS',
      sha(queueAddScripts?.standard.content ?? ''),
      sha(queueAddScripts?.prioritized.content ?? ''),
    )) as number[];
    expect([standard, prioritized]).toEqual([1, 1]);
  });

  it('builds each add from a template that BullMQ builder agrees with', async () => {
    // Without a template every submit falls back to two round trips and a submission copy.
    const { fixed } = submissionQueueAdd(submissionOf('job_1'));
    const template = await queueAddTemplate(queue, 'prompt', fixed);
    expect(template?.kind).toBe('prioritized');
    expect(template?.keys).toContain(queue.keys.prioritized);
  });

  it('leaves a priority BullMQ would refuse to the two-step submit (queue.add refuses it)', async () => {
    const { name, fixed, jobId } = submissionQueueAdd(submissionOf('job_1'));
    const data = submissionOf('job_1').data;
    await expect(queueAddCall(queue, name, data, fixed, { jobId, priority: 0 })).resolves.toBe(
      undefined,
    );
    await expect(
      queueAddCall(queue, name, data, fixed, { jobId, priority: 2_097_152 }),
    ).resolves.toBeUndefined();
    await expect(
      queueAddCall(queue, name, data, fixed, { jobId, priority: 5 }),
    ).resolves.toBeDefined();
  });

  it('queues the job with its record, as queue.add would, and keeps no submission', async () => {
    await expect(accept('job_1')).resolves.toEqual({ outcome: 'new', enqueued: true });
    expect((await store.get('job_1'))?.status).toBe('queued');
    // The record's constant fields come from the script text, the others from the submit.
    expect(await redis.hgetall(keys.job('job_1'))).toEqual({
      id: 'job_1',
      tenant: 'acme',
      status: 'queued',
      model: 'sim-gpt-fast',
      priority: '5',
      created_at: '1000',
      attempts: '0',
      result_writes: '0',
    });
    expect(await redis.xlen(keys.jobEvents('job_1'))).toBe(1);
    const job = await queue.getJob('job_1');
    expect(job?.data).toEqual(submissionOf('job_1').data);
    expect(job?.opts.attempts).toBe(3);
    expect(job?.opts.priority).toBe(5);
    expect(await queue.getJobState('job_1')).toBe('prioritized');
    expect(await submissions.read('job_1')).toBeUndefined();
    expect(await submissions.pending(Date.now() + 1000, 10)).toEqual([]);
    // The same job through BullMQ's own add, in a queue of its own: the same hash.
    const add = submissionQueueAdd(submissionOf('job_1'));
    const expected = await jobFields('job_1');
    await queue.remove('job_1');
    await queue.add(add.name, submissionOf('job_1').data, addOptionsOf(add));
    expect(await jobFields('job_1')).toEqual(expected);
    // Nothing for the replay or the sweeper to repair.
    await expect(new SubmissionRepair(submissions, { standard: queue }).sweep(0)).resolves.toEqual({
      checked: 0,
      requeued: 0,
      lost: 0,
    });
  });

  it('neither records nor queues a replayed or conflicting key', async () => {
    await accept('job_1', { key: 'k1', body: 'b1' });
    await expect(accept('job_2', { key: 'k1', body: 'b1' })).resolves.toEqual({
      outcome: 'existing',
      jobId: 'job_1',
    });
    await expect(accept('job_3', { key: 'k1', body: 'b2' })).resolves.toEqual({
      outcome: 'conflict',
      jobId: 'job_1',
    });
    expect(await redis.exists(keys.job('job_2'), keys.job('job_3'))).toBe(0);
    expect(await queue.getJob('job_2')).toBeUndefined();
    expect(await queue.getJob('job_3')).toBeUndefined();
    expect(await queue.count()).toBe(1);
  });

  it('leaves no record, key or job when BullMQ add raises', async () => {
    await expect(
      acceptWithBrokenAdd('job_1', { idempotency: { key: 'k1', bodyHash: 'b1' } }),
    ).rejects.toThrow();
    expect(await store.get('job_1')).toBeNull();
    expect(await queue.getJob('job_1')).toBeUndefined();
    await expect(accept('job_2', { key: 'k1' })).resolves.toEqual({
      outcome: 'new',
      enqueued: true,
    });
  });

  it('writes a companion with a new job only, in the same script, the record intact', async () => {
    for (const fair of [false, true]) {
      const jobId = `job_companion_${fair}`;
      await expect(
        accept(jobId, { key: `k-${fair}`, fair, companion: companionOf(jobId) }),
      ).resolves.toMatchObject({ outcome: 'new', enqueued: true });
      expect(await companionValues(jobId)).toEqual([`a of ${jobId}`, `b of ${jobId}`]);
      // The arguments after the companion's are still the record's fields.
      expect(await store.get(jobId)).toMatchObject({
        id: jobId,
        tenant: 'acme',
        model: 'sim-gpt-fast',
        priority: 5,
        status: 'queued',
      });
      expect(await queue.getJob(jobId)).toBeDefined();
    }
    // A replayed or conflicting key writes no companion.
    await expect(
      accept('job_replay', { key: 'k-false', companion: companionOf('job_replay') }),
    ).resolves.toEqual({ outcome: 'existing', jobId: 'job_companion_false' });
    await expect(
      accept('job_conflict', {
        key: 'k-false',
        body: 'b2',
        companion: companionOf('job_conflict'),
      }),
    ).resolves.toEqual({ outcome: 'conflict', jobId: 'job_companion_false' });
    expect(await companionValues('job_replay')).toEqual([null, null]);
    expect(await companionValues('job_conflict')).toEqual([null, null]);
  });

  it('writes the companion before the job: an add that raises leaves it without a job, never a job without it', async () => {
    await expect(
      acceptWithBrokenAdd('job_1', { companion: companionOf('job_1') }),
    ).rejects.toThrow();
    expect(await store.get('job_1')).toBeNull();
    expect(await queue.getJob('job_1')).toBeUndefined();
    expect(await companionValues('job_1')).toEqual(['a of job_1', 'b of job_1']);
  });

  it('writes the companion in the two-step accept too, its submission intact', async () => {
    await expect(
      accept('job_1', { enqueue: false, fair: true, companion: companionOf('job_1') }),
    ).resolves.toEqual({ outcome: 'new', queuePriority: 1, enqueued: false });
    expect(await companionValues('job_1')).toEqual(['a of job_1', 'b of job_1']);
    expect(await submissions.read('job_1')).toEqual(submissionOf('job_1'));
    expect((await store.get('job_1'))?.status).toBe('queued');
  });

  it('queues the job at its fair tag, as the two-step submit did', async () => {
    await expect(accept('job_1', { fair: true })).resolves.toEqual({
      outcome: 'new',
      queuePriority: 1,
      enqueued: true,
    });
    await expect(accept('job_2', { fair: true })).resolves.toEqual({
      outcome: 'new',
      queuePriority: 2,
      enqueued: true,
    });
    expect((await queue.getJob('job_1'))?.opts.priority).toBe(1);
    expect((await queue.getJob('job_2'))?.opts.priority).toBe(2);
    expect((await queue.getJob('job_2'))?.opts.attempts).toBe(3);
    expect(await queue.getPrioritized()).toHaveLength(2);
  });

  it('writes what the two-step accept writes, the submission aside', async () => {
    await accept('job_new', { key: 'k1' });
    await accept('job_old', { key: 'k2', enqueue: false });
    const record = async (jobId: string) => {
      const { createdAt: _createdAt, ...fields } = await redis.hgetall(keys.job(jobId));
      return fields;
    };
    expect({ ...(await record('job_new')), id: '' }).toEqual({
      ...(await record('job_old')),
      id: '',
    });
    expect(await redis.zscore(keys.tenantJobs('acme'), 'job_new')).not.toBeNull();
    expect(await redis.ttl(keys.job('job_new'))).toBeGreaterThan(500);
    expect(await redis.ttl(keys.jobEvents('job_new'))).toBeGreaterThan(500);
  });
});

// The tenant's job index (the job explorer's) is maintained once per interval by the
// interval's first new job, not by every submit: see `indexNewJobLua`.
describe("a tenant's job index", () => {
  const lifetime = 600; // the submission store's record lifetime above
  const interval = tenantIndexIntervalSeconds * 1000;
  /** A moment 1 s into an interval. */
  const start = Math.floor(Date.now() / interval) * interval + 1000;
  const index = () => keys.tenantJobs('acme');

  it("gets its lifetime from the interval's first job, which outlasts every job of the interval", async () => {
    await accept('job_1', { now: start });
    const ttl = await redis.ttl(index());
    expect(ttl).toBeGreaterThan(lifetime + tenantIndexIntervalSeconds - 5);
    expect(ttl).toBeLessThanOrEqual(lifetime + tenantIndexIntervalSeconds);
    const sequence = keys.tenantJobSequence('acme', start, tenantIndexIntervalSeconds);
    expect(await redis.ttl(sequence)).toBeGreaterThan(tenantIndexIntervalSeconds);
  });

  it("is left alone by the interval's later jobs, and maintained again in the next interval", async () => {
    await accept('job_1', { now: start });
    await redis.expire(index(), 30);
    await accept('job_2', { now: start + 1000 });
    expect(await redis.ttl(index())).toBeLessThanOrEqual(30);
    await accept('job_3', { now: start + interval });
    expect(await redis.ttl(index())).toBeGreaterThan(lifetime);
    expect(await redis.zrange(index(), 0, -1)).toEqual(['job_1', 'job_2', 'job_3']);
  });

  it("loses the entries older than a pending record's lifetime at an interval's first job", async () => {
    await accept('job_old', { now: start });
    await accept('job_recent', { now: start + 2000 });
    await accept('job_new', { now: start + lifetime * 1000 + 1000 });
    expect(await redis.zrange(index(), 0, -1)).toEqual(['job_recent', 'job_new']);
  });

  it('gives jobs created in the same ms distinct scores', async () => {
    await accept('job_a', { now: start });
    await accept('job_b', { now: start });
    const [a, b] = await Promise.all([
      redis.zscore(index(), 'job_a'),
      redis.zscore(index(), 'job_b'),
    ]);
    expect(a).not.toBeNull();
    expect(a).not.toEqual(b);
  });

  it("is maintained the same way by the job store's create", async () => {
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

describe('the accept taking its job into the lane (a sync job run by its API process)', () => {
  const take = { token: 'token-of-the-api', lockDurationMs: 30_000 };

  async function acceptTaking(jobId: string, now = 5000) {
    const submission = submissionOf(jobId);
    return submissions.accept({
      record: { id: jobId, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1000 },
      submission,
      enqueue: await enqueueOf(submission),
      take,
      now,
    });
  }

  /** The BullMQ job hash's fields, its timestamps aside. */
  async function takenFields(jobId: string) {
    const {
      timestamp: _timestamp,
      processedOn,
      opts,
      ...fields
    } = await redis.hgetall(queue.toKey(jobId));
    return { ...fields, opts: JSON.parse(opts ?? 'null'), processedOn: processedOn !== undefined };
  }

  it("takes a job into the empty lane's active list as BullMQ's fetch does, under the caller's token", async () => {
    await expect(acceptTaking('job_taken')).resolves.toEqual({
      outcome: 'new',
      enqueued: true,
      taken: true,
    });
    expect(await queue.getJobState('job_taken')).toBe('active');
    expect(await redis.lrange(queue.toKey('active'), 0, -1)).toEqual(['job_taken']);
    expect(await redis.get(`${queue.toKey('job_taken')}:lock`)).toBe(take.token);
    const ttl = await redis.pttl(`${queue.toKey('job_taken')}:lock`);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect(await redis.hget(queue.toKey('job_taken'), 'processedOn')).toBe('5000');
    // No worker's blocking read wakes for a job that is not there for it.
    expect(await redis.zscore(queue.toKey('marker'), '0')).toBeNull();
    // The same job fetched by a BullMQ worker (the documented manual fetch), in a queue of its
    // own: the same hash and the same `active` event.
    const workerConnection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const worker = new Worker(queue.name, null, {
      connection: workerConnection,
      prefix: `${keys.prefix}:b`,
    });
    const other = new Queue(queue.name, { connection: redis, prefix: `${keys.prefix}:b` });
    try {
      const add = submissionQueueAdd(submissionOf('job_taken'));
      await other.add(add.name, submissionOf('job_taken').data, addOptionsOf(add));
      const fetched = await worker.getNextJob('token-of-a-worker');
      expect(fetched?.id).toBe('job_taken');
      const hashOf = async (prefixQueue: Queue) => {
        const {
          timestamp: _t,
          processedOn,
          opts,
          ...fields
        } = await redis.hgetall(prefixQueue.toKey('job_taken'));
        return { ...fields, opts: JSON.parse(opts ?? 'null'), processedOn: !!processedOn };
      };
      expect(await hashOf(queue)).toEqual(await hashOf(other));
      expect(await takenFields('job_taken')).toMatchObject({ ats: '1', processedOn: true });
      const activeEvents = async (prefixQueue: Queue) =>
        (await redis.xrange(prefixQueue.toKey('events'), '-', '+'))
          .map(([, fields]) => fields)
          .filter((fields) => fields[1] === 'active');
      expect(await activeEvents(queue)).toEqual(await activeEvents(other));
      expect(await activeEvents(queue)).toHaveLength(1);
    } finally {
      await worker.close();
      await other.close();
      await workerConnection.quit();
    }
  });

  it('queues the job as without a take when the lane has a job waiting, or is paused', async () => {
    await accept('job_waiting');
    await expect(acceptTaking('job_2')).resolves.toEqual({ outcome: 'new', enqueued: true });
    expect(await queue.getJobState('job_2')).toBe('prioritized');
    expect(await redis.exists(`${queue.toKey('job_2')}:lock`)).toBe(0);
    expect(await redis.hget(queue.toKey('job_2'), 'ats')).toBeNull();
    expect(await redis.zscore(queue.toKey('marker'), '0')).not.toBeNull();
    await queue.obliterate({ force: true });
    await queue.pause();
    await expect(acceptTaking('job_3')).resolves.toEqual({ outcome: 'new', enqueued: true });
    expect(await redis.llen(queue.toKey('active'))).toBe(0);
  });

  it("queues the job as without a take when a delayed job's wait has passed, and takes it while none has", async () => {
    // A retry waiting out its backoff: not due yet, so it does not hold new jobs back.
    await queue.add('retry', {}, { delay: 60_000, jobId: 'job_backing_off' });
    await expect(acceptTaking('job_taken_early', Date.now())).resolves.toMatchObject({
      taken: true,
    });
    await queue.obliterate({ force: true });
    // Its backoff has passed but no worker's fetch has promoted it yet (every worker busy): a
    // worker runs it first, so the new job waits in the lane behind it, as BullMQ orders them.
    await queue.add('retry', {}, { delay: 50, jobId: 'job_due' });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await expect(acceptTaking('job_after_due', Date.now())).resolves.toEqual({
      outcome: 'new',
      enqueued: true,
    });
    expect(await queue.getJobState('job_after_due')).toBe('prioritized');
    expect(await queue.getJobState('job_due')).toBe('delayed');
  });

  it("takes nothing for a replayed key (the job is the first submit's)", async () => {
    const submission = submissionOf('job_again');
    const replay = await submissions.accept({
      record: { id: 'job_again', tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1 },
      submission,
      enqueue: await enqueueOf(submission),
      idempotency: { key: 'k1', bodyHash: 'b1' },
    });
    expect(replay).toEqual({ outcome: 'new', enqueued: true });
    await expect(
      submissions.accept({
        record: {
          id: 'job_other',
          tenant: 'acme',
          model: 'sim-gpt-fast',
          priority: 5,
          createdAt: 1,
        },
        submission: submissionOf('job_other'),
        enqueue: await enqueueOf(submissionOf('job_other')),
        idempotency: { key: 'k1', bodyHash: 'b1' },
        take,
      }),
    ).resolves.toEqual({ outcome: 'existing', jobId: 'job_again' });
    expect(await redis.llen(queue.toKey('active'))).toBe(0);
  });
});
