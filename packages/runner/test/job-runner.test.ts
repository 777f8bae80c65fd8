import {
  type AttemptRecord,
  createLogger,
  createRedisConnection,
  type JobFailure,
  type JobProgress,
  jobProgressSchema,
  RedisKeys,
} from '@llmq/core';
import { cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { z } from 'zod';
import { createJobRunner, type JobSink, type StageOutcome } from '../src/pipeline/job-runner';

/** What a scripted job records of each run: the progress it started with, and how it ended. */
interface RunLog {
  progress?: JobProgress;
  attemptsMade: number;
  ends: string[];
}

const dataSchema = z.object({ id: z.string(), progress: jobProgressSchema.optional() });
type Data = z.infer<typeof dataSchema>;

const call = (model: string, outcome: AttemptRecord['outcome']): AttemptRecord => ({
  provider: 'simulator-openai',
  model,
  outcome,
  started_at: 1,
  latency_ms: 1,
  cost_usd: 0,
});
const failure: JobFailure = { code: 'provider_error', message: 'upstream broke' };

let keys: RedisKeys;
let connection: ReturnType<typeof createRedisConnection>;
let queue: Queue;
let worker: Worker | undefined;

beforeEach(() => {
  keys = new RedisKeys(uniquePrefix('test-runner'));
  connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  queue = new Queue('runner', { connection, prefix: keys.prefix });
});

afterEach(async () => {
  await worker?.close();
  await queue.close();
  await cleanupPrefix(connection, keys.prefix);
  await connection.quit();
});

/**
 * Runs one job through the runner with a sink whose stages answer `script[n]` on the n-th
 * run, and returns what each run saw and how it ended.
 */
async function runScripted(
  script: Array<StageOutcome<string>>,
  options: { attempts: number; mayRetry?: boolean },
): Promise<RunLog[]> {
  const runs: RunLog[] = [];
  const sink: JobSink<Data, string> = {
    events: 'job',
    parse: async (job: Job) => dataSchema.parse(job.data),
    identity: (data) => ({ jobId: data.id, tenant: 't', model: 'm', createdAt: Date.now() }),
    async open(job, data) {
      const run: RunLog = { progress: data.progress, attemptsMade: job.attemptsMade, ends: [] };
      runs.push(run);
      const outcome = script[runs.length - 1] ?? { kind: 'rejected', failure };
      return {
        call: async () => outcome,
        mayRetry: () => options.mayRetry ?? true,
        complete: async (answer) => void run.ends.push(`complete:${answer}`),
        async fail(end, attempts) {
          run.ends.push(`fail:${end.code}:${attempts.length}`);
          throw new UnrecoverableError(end.message);
        },
        requeue: async (end) => void run.ends.push(`requeue:${end.code}`),
      };
    },
  };
  const logger = createLogger({ service: 'test', level: 'error' });
  worker = new Worker('runner', createJobRunner(sink, { logger }), {
    connection,
    prefix: keys.prefix,
  });
  const job = await queue.add('scripted', { id: 'job-1' }, { attempts: options.attempts });
  await waitFor(
    async () => {
      const state = await queue.getJobState(job.id as string);
      return state === 'completed' || state === 'failed' ? state : undefined;
    },
    { what: 'the scripted job to end' },
  );
  return runs;
}

test('a retryable failure with attempts left is retried, keeping the calls made so far', async () => {
  const first = [call('a', 'error')];
  const runs = await runScripted(
    [
      { kind: 'failed', error: undefined, retryable: true, attempts: first },
      { kind: 'success', answer: 'hello', attempts: [...first, call('a', 'success')] },
    ],
    { attempts: 2 },
  );
  expect(runs).toHaveLength(2);
  expect(runs[0]?.ends).toEqual(['requeue:model_unavailable']);
  expect(runs[1]?.progress?.attempts).toEqual(first);
  expect(runs[1]?.ends).toEqual(['complete:hello']);
});

test('a wait parks the job with its progress and spends no attempt', async () => {
  const first = [call('a', 'error')];
  const runs = await runScripted(
    [
      {
        kind: 'wait',
        delayMs: 20,
        attempts: first,
        resume: { model: 'a', retry: 1 },
        failure: { code: 'provider_rate_limited', message: 'waiting' },
      },
      { kind: 'success', answer: 'later', attempts: [...first, call('a', 'success')] },
    ],
    { attempts: 1 },
  );
  expect(runs).toHaveLength(2);
  expect(runs[0]?.ends).toEqual(['requeue:provider_rate_limited']);
  // With one attempt only, the second run exists because the wait spent none.
  expect(runs[1]?.attemptsMade).toBe(0);
  expect(runs[1]?.progress).toEqual({ attempts: first, resume: { model: 'a', retry: 1 } });
  expect(runs[1]?.ends).toEqual(['complete:later']);
});

test('a failure is final on the last attempt, when not retryable, or when a retry is unsafe', async () => {
  const calls = [call('a', 'error')];
  const failed: StageOutcome<string> = {
    kind: 'failed',
    error: undefined,
    retryable: true,
    attempts: calls,
  };
  const last = await runScripted([failed], { attempts: 1 });
  expect(last.map((run) => run.ends)).toEqual([['fail:model_unavailable:1']]);
  await worker?.close();

  const unsafe = await runScripted([failed], { attempts: 3, mayRetry: false });
  expect(unsafe.map((run) => run.ends)).toEqual([['fail:model_unavailable:1']]);
  await worker?.close();

  const final = await runScripted([{ ...failed, retryable: false }], { attempts: 3 });
  expect(final.map((run) => run.ends)).toEqual([['fail:model_unavailable:1']]);
});

test('a rejected job fails at once with no calls, and an answered one records nothing more', async () => {
  const rejected = await runScripted([{ kind: 'rejected', failure }], { attempts: 3 });
  expect(rejected.map((run) => run.ends)).toEqual([['fail:provider_error:0']]);
  await worker?.close();

  const answered = await runScripted([{ kind: 'answered' }], { attempts: 3 });
  expect(answered).toHaveLength(1);
  expect(answered[0]?.ends).toEqual([]);
});
