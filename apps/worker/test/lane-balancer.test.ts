import { createLogger, createRedisConnection, RedisKeys } from '@llmq/core';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { type Job, Queue, Worker } from 'bullmq';
import { LaneBalancer } from '../src/lanes/lane-balancer';

type Connection = ReturnType<typeof createRedisConnection>;

/** Jobs that run until the test releases them, so "running" is something the test controls. */
class Gate {
  readonly running = new Map<string, () => void>();
  readonly started: string[] = [];

  processor = (job: Job): Promise<void> =>
    new Promise((resolve) => {
      this.started.push(job.id as string);
      this.running.set(job.id as string, resolve);
    });

  release(jobId: string): void {
    this.running.get(jobId)?.();
    this.running.delete(jobId);
  }

  runningOf(lane: string): string[] {
    return [...this.running.keys()].filter((id) => id.startsWith(`${lane}-`));
  }
}

let connection: Connection;
let keys: RedisKeys;
let queues: Record<'standard' | 'interactive' | 'bulk', Queue>;
let workers: Worker[];
let balancer: LaneBalancer;
let gate: Gate;

beforeEach(async () => {
  keys = new RedisKeys(uniquePrefix('test-lanes'));
  connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  const options = { connection, prefix: keys.prefix };
  queues = {
    standard: new Queue('standard', options),
    interactive: new Queue('interactive', options),
    bulk: new Queue('bulk', options),
  };
  gate = new Gate();
  balancer = new LaneBalancer({
    lanes: Object.values(queues).map((queue) => ({ queue, share: 2 })),
    intervalMs: 50,
    lending: true,
    logger: createLogger({ service: 'test', level: 'warn', stream: captureLines().stream }),
  });
  workers = Object.values(queues).map((queue) => {
    const worker = new Worker(queue.name, balancer.track(queue.name, gate.processor), {
      ...options,
      concurrency: 2,
    });
    balancer.attach(queue.name, worker);
    return worker;
  });
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  balancer.start();
});

afterEach(async () => {
  await balancer.stop();
  for (const id of [...gate.running.keys()]) gate.release(id);
  await Promise.all(workers.map((worker) => worker.close(true)));
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
  await cleanupPrefix(connection, keys.prefix);
  await connection.quit();
});

const add = (lane: keyof typeof queues, count: number, from = 0) =>
  queues[lane].addBulk(
    Array.from({ length: count }, (_, index) => ({
      name: 'job',
      data: {},
      opts: { jobId: `${lane}-${from + index}` },
    })),
  );

test('a busy lane borrows the idle lanes’ shares, and an arriving interactive job still starts at once', async () => {
  await add('bulk', 30);
  // Idle standard and interactive lanes lend their 2 + 2 slots to bulk.
  await waitFor(async () => (balancer.concurrency().bulk === 6 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the bulk lane to borrow the idle shares',
  });
  await waitFor(async () => (gate.runningOf('bulk').length >= 2 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'bulk jobs to run',
  });
  // BullMQ takes up a concurrency raised while all its slots were busy when a job ends.
  if (gate.runningOf('bulk').length < 6) gate.release(gate.runningOf('bulk')[0] as string);
  await waitFor(async () => (gate.runningOf('bulk').length === 6 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'six bulk jobs to run at once (share 2 + 4 borrowed)',
  });
  const bulkStartedBefore = gate.started.filter((id) => id.startsWith('bulk-')).length;

  // Every slot the bulk lane holds is busy and stays busy, yet the interactive job starts:
  // it does not wait for a borrowed slot to come back.
  await add('interactive', 1);
  await waitFor(async () => (gate.runningOf('interactive').length === 1 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the interactive job to start',
  });
  expect(gate.runningOf('bulk')).toHaveLength(6);
  expect(gate.started.filter((id) => id.startsWith('bulk-'))).toHaveLength(bulkStartedBefore);

  // The interactive lane now uses one of its slots: bulk gives it back as its jobs end.
  await waitFor(async () => (balancer.concurrency().bulk === 5 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the bulk lane to return the slot the interactive lane uses',
  });
  for (const id of gate.runningOf('bulk').slice(0, 2)) gate.release(id);
  await waitFor(async () => (gate.runningOf('bulk').length === 5 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the bulk lane to settle at five running jobs',
  });
  expect(balancer.concurrency()).toEqual({ standard: 2, interactive: 2, bulk: 5 });
});

test('without lending, every lane keeps exactly its share', async () => {
  await balancer.stop();
  const fixed = new LaneBalancer({
    lanes: Object.values(queues).map((queue) => ({ queue, share: 2 })),
    intervalMs: 50,
    lending: false,
    logger: createLogger({ service: 'test', level: 'warn', stream: captureLines().stream }),
  });
  fixed.start();
  await add('bulk', 10);
  await waitFor(async () => (gate.runningOf('bulk').length === 2 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'two bulk jobs to run',
  });
  gate.release(gate.runningOf('bulk')[0] as string);
  await waitFor(async () => (gate.started.length === 3 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the next bulk job to start',
  });
  expect(gate.runningOf('bulk')).toHaveLength(2);
  expect(workers.map((worker) => worker.concurrency)).toEqual([2, 2, 2]);
  await fixed.stop();
});

test('tells when a lane starts a job while it runs no other in this process', async () => {
  const idleStarts: string[] = [];
  const watched = new LaneBalancer({
    lanes: [{ queue: queues.standard, share: 2 }],
    intervalMs: 50,
    lending: false,
    onIdleLaneJob: (queue) => idleStarts.push(queue.name),
    logger: createLogger({ service: 'test', level: 'warn', stream: captureLines().stream }),
  });
  const releases: Array<() => void> = [];
  const run = watched.track(
    'standard',
    () => new Promise<void>((resolve) => releases.push(resolve)),
  );
  const first = run({ id: 'a' } as Job);
  const second = run({ id: 'b' } as Job);
  expect(idleStarts).toEqual(['standard']);
  for (const release of releases.splice(0)) release();
  await Promise.all([first, second]);
  const third = run({ id: 'c' } as Job);
  expect(idleStarts).toEqual(['standard', 'standard']);
  for (const release of releases.splice(0)) release();
  await third;
});
