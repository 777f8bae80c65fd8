import { createHash } from 'node:crypto';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { type Job, type Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { createQueue } from './create-queue';
import type { JobResult } from './job-record';
import { JobStore } from './job-store';
import { queueFinishScript } from './queue-complete';

// BullMQ's completion inside the job store's final transition (queue-complete.ts): what the
// installed BullMQ must allow, and that a job completed that way is in Redis exactly as one
// BullMQ's worker completed itself. A BullMQ upgrade that changes its script, its argument
// builder or its worker loop fails here.

let redis: Redis;
let keys: RedisKeys;
let store: JobStore;
let queue: Queue;
let workers: Worker[];
let connections: Redis[];

beforeEach(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  keys = new RedisKeys(uniquePrefix('test-queue-complete'));
  store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
  queue = createQueue('prompt', redis, keys);
  workers = [];
  connections = [];
});
afterEach(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await Promise.all(connections.map((connection) => connection.quit()));
  await queue.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const result: JobResult = {
  text: 'hi',
  message: { role: 'assistant', content: 'hi' },
  finish_reason: 'stop',
  model: 'sim-gpt-fast',
  upstream_model: 'sim-gpt-fast',
  provider: 'simulator-openai',
  usage: { input_tokens: 3, output_tokens: 1, cached_input_tokens: 0, total_tokens: 4 },
  timings: { queue_wait_ms: 1, provider_ms: 2, total_ms: 3 },
};

async function addJob(id: string) {
  await store.create({ id, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1000 });
  await queue.add('prompt', { jobId: id }, { jobId: id });
}

/**
 * Runs the queue's jobs in a worker whose processor stores each result, in the same script as
 * BullMQ's completion when `inside`, else leaving the completion to BullMQ. Resolves with the
 * jobs BullMQ reported completed, once `count` were.
 */
function work(count: number, inside: boolean, concurrency = 1): Promise<Job[]> {
  const completed: Job[] = [];
  const connection = redis.duplicate();
  connections.push(connection);
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      queue.name,
      async (job, token) => {
        const queued = inside && token ? { job, token } : undefined;
        await store.complete(job.id!, result, Date.now(), undefined, undefined, queued);
      },
      { connection, prefix: keys.prefix, concurrency },
    );
    workers.push(worker);
    worker.on('error', reject);
    worker.on('failed', (_job, error) => reject(error));
    worker.on('completed', (job) => {
      completed.push(job);
      if (completed.length === count) void worker.close().then(() => resolve(completed));
    });
  });
}

/** The job's BullMQ hash, its times aside. */
async function jobHash(id: string): Promise<Record<string, string>> {
  const { timestamp, processedOn, finishedOn, ...fields } = await redis.hgetall(queue.toKey(id));
  expect([timestamp, processedOn, finishedOn].every(Boolean)).toBe(true);
  return fields;
}

/** The queue's event stream entries about `id`, their ids aside. */
async function queueEvents(id: string): Promise<string[][]> {
  const entries = await redis.xrange(queue.toKey('events'), '-', '+');
  return entries.map(([, fields]) => fields).filter((fields) => fields.includes(id));
}

describe("BullMQ's completion inside the job store's final transition", () => {
  it('runs the Lua the installed BullMQ itself loads as moveToFinished', async () => {
    expect(queueFinishScript).toBeDefined();
    await addJob('job_own');
    await work(1, false);
    const sha = createHash('sha1').update(queueFinishScript!.content).digest('hex');
    expect(await redis.script('EXISTS', sha)).toEqual([1]);
  });

  it("leaves the job in Redis as BullMQ's own completion does, its worker making no call", async () => {
    await addJob('job_own');
    const [own] = await work(1, false);
    await addJob('job_inside');
    const [inside] = await work(1, true);

    const ownHash = JSON.stringify(await jobHash('job_own')).replaceAll('job_own', 'job_inside');
    expect(await jobHash('job_inside')).toEqual(JSON.parse(ownHash));
    expect(inside!.finishedOn).toBe(
      Number(await redis.hget(queue.toKey('job_inside'), 'finishedOn')),
    );
    expect([inside!.attemptsMade, inside!.returnvalue]).toEqual([
      own!.attemptsMade,
      own!.returnvalue,
    ]);
    const events = (await queueEvents('job_inside')).map((fields) => fields.join(' '));
    const ownEvents = (await queueEvents('job_own')).map((fields) => fields.join(' '));
    expect(events).toEqual(ownEvents.map((line) => line.replaceAll('job_own', 'job_inside')));
    expect(events).toContain('event completed jobId job_inside returnvalue null prev active');
    expect(await redis.zrange(queue.toKey('completed'), 0, -1)).toEqual(['job_own', 'job_inside']);
    expect(await redis.lrange(queue.toKey('active'), 0, -1)).toEqual([]);
    expect(await redis.exists(`${queue.toKey('job_inside')}:lock`)).toBe(0);
    expect(await store.get('job_inside')).toMatchObject({ status: 'completed', result });
  });

  it("keeps BullMQ's removeOnComplete count", async () => {
    const count = (queue.defaultJobOptions.removeOnComplete as { count: number }).count;
    expect(count).toBeGreaterThan(0);
    // A completed set one over the count before the job completes: the oldest is trimmed.
    const since = Date.now() - 60_000;
    const older = Array.from({ length: count }, (_, i) => [since + i, `old_${i}`]).flat();
    await redis.zadd(queue.toKey('completed'), ...older);
    await redis.hset(queue.toKey('old_0'), 'name', 'prompt');
    await addJob('job_inside');
    await work(1, true);
    expect(await redis.zcard(queue.toKey('completed'))).toBe(count);
    expect(await redis.zscore(queue.toKey('completed'), 'old_0')).toBeNull();
    expect(await redis.exists(queue.toKey('old_0'))).toBe(0);
  });

  it("fetches the next job with the completion, as BullMQ's own does, and sends no call of its own", async () => {
    const scripts = require('bullmq/dist/cjs/scripts') as Record<string, { content: string }>;
    const shaOf = (name: string) => createHash('sha1').update(scripts[name]!.content).digest('hex');
    const headOf = (name: string) => scripts[name]!.content.split('\n').slice(0, 2).join('\\n');
    const run = async (inside: boolean, ids: string[]) => {
      for (const id of ids) await addJob(id);
      const monitor = await redis.monitor();
      const sent: string[] = [];
      monitor.on('monitor', (_time, args: string[]) => {
        // A connection's first run of a script is an EVAL of its source (as MONITOR quotes it).
        const command = String(args[0]).toLowerCase();
        if (command === 'evalsha') sent.push(String(args[1]));
        if (command !== 'eval') return;
        const named = Object.keys(scripts).find((name) => String(args[1]).startsWith(headOf(name)));
        sent.push(named ? shaOf(named) : 'another');
      });
      const completed = await work(ids.length, inside);
      // MONITOR's lines may trail the replies the worker waited for.
      await new Promise((resolve) => setTimeout(resolve, 200));
      monitor.disconnect();
      expect(completed.map((job) => job.id)).toEqual(ids);
      const count = (name: string) => sent.filter((sha) => sha === shaOf(name)).length;
      return { fetches: count('moveToActive'), completions: count('moveToFinished') };
    };
    const own = await run(false, ['own_a', 'own_b', 'own_c']);
    const inside = await run(true, ['job_a', 'job_b', 'job_c']);
    expect(own.completions).toBe(3);
    expect(own.fetches).toBeGreaterThan(0);
    expect(inside).toEqual({ fetches: own.fetches, completions: 0 });
    for (const id of ['job_a', 'job_b', 'job_c']) {
      expect(await store.get(id)).toMatchObject({ status: 'completed' });
    }
  });

  it('leaves the completion to BullMQ when the job store finished no queued job', async () => {
    await addJob('job_plain');
    await work(1, false);
    expect(await store.get('job_plain')).toMatchObject({ status: 'completed' });
    expect(await redis.zrange(queue.toKey('completed'), 0, -1)).toEqual(['job_plain']);
  });
});
