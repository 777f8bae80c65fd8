import { cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PromptLaneWorker } from '../src/prompt-worker';

let redis: Redis;
let prefix: string;
let queue: Queue;
let worker: PromptLaneWorker | undefined;
/** The `fetchNext` flag of each job's completion (BullMQ's `moveToFinished` fetches when set). */
let fetches: boolean[];

beforeEach(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  prefix = uniquePrefix('test-prompt-lane');
  queue = new Queue('lane', { connection: redis, prefix });
  fetches = [];
  const moveToCompleted = Job.prototype.moveToCompleted;
  jest.spyOn(Job.prototype, 'moveToCompleted').mockImplementation(function (
    this: Job,
    ...args: Parameters<Job['moveToCompleted']>
  ) {
    fetches.push(args[2] ?? true);
    return moveToCompleted.apply(this, args);
  });
});
afterEach(async () => {
  jest.restoreAllMocks();
  await worker?.close();
  worker = undefined;
  await queue.close();
  await cleanupPrefix(redis, prefix);
  await redis.quit();
});

/** A worker whose jobs take 50 ms: long enough for its loop's next fetch to come back. */
function startWorker(concurrency: number): PromptLaneWorker {
  return new PromptLaneWorker(
    'lane',
    async () => new Promise((resolve) => setTimeout(() => resolve('done'), 50)),
    { connection: redis, prefix, concurrency },
  );
}

const completed = async (count: number) =>
  waitFor(async () => ((await queue.getCompletedCount()) === count ? true : undefined), {
    what: `${count} completed jobs`,
  });

describe('a prompt lane worker', () => {
  it('finishes a job without fetching when its last fetch found nothing, and still runs the next', async () => {
    worker = startWorker(4);
    await queue.add('job', {}, { jobId: 'first' });
    await completed(1);
    await queue.add('job', {}, { jobId: 'second' });
    await completed(2);
    expect(fetches).toEqual([false, false]);
  });

  it('fetches the next job with the completion while jobs keep coming', async () => {
    await queue.addBulk(
      ['a', 'b', 'c'].map((id) => ({ name: 'job', data: {}, opts: { jobId: id } })),
    );
    worker = startWorker(1);
    await completed(3);
    expect(fetches).toEqual([true, true, true]);
  });
});
