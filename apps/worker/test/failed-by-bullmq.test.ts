import {
  createLogger,
  createQueue,
  createRedisConnection,
  JobStore,
  JobSubmitter,
  jobCatalog,
  loadModelCatalog,
  RedisKeys,
  SubmissionStore,
} from '@llmq/core';
import type { createPromptPipeline } from '@llmq/runner';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { Worker } from 'bullmq';
import { type RunningPromptWorker, startPromptWorker } from '../src/prompt-worker';

type Pipeline = ReturnType<typeof createPromptPipeline>;

/**
 * A prompt job that BullMQ fails, not the pipeline (which ends its jobs itself), must be ended
 * in the job store too, or a client polling it sees `queued`/`running` until the record
 * expires. Each case: a private prefix, one submitted job, one prompt worker.
 */
function failedJobFixture(name: string, attempts: number) {
  const keys = new RedisKeys(uniquePrefix(name));
  const connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  const store = new JobStore(connection, keys, { resultTtlSeconds: 600 });
  const queue = createQueue('prompt', connection, keys);
  let worker: RunningPromptWorker | undefined;
  return {
    keys,
    connection,
    store,
    queue,
    async submit(prompt: string): Promise<string> {
      const submitter = new JobSubmitter({
        queue,
        store,
        submissions: new SubmissionStore(connection, keys, {
          recordTtlSeconds: store.pendingTtlSeconds,
        }),
        catalog: loadModelCatalog(),
        defaultModel: 'sim-gpt-fast',
        attempts,
      });
      const accepted = await submitter.submit({ tenant: 't', request: { prompt, priority: 5 } });
      return (accepted as { jobId: string }).jobId;
    },
    async startWorker(
      pipeline: Pipeline,
      timing: { lockDurationMs: number; stalledIntervalMs: number; maxStalledCount: number },
    ): Promise<void> {
      worker = await startPromptWorker({
        connection,
        keys,
        store,
        logger: createLogger({
          service: 'worker-test',
          level: 'error',
          stream: captureLines().stream,
        }),
        pipeline,
        concurrency: 1,
        ...timing,
      });
    },
    failedRecord(jobId: string, timeoutMs?: number) {
      return waitFor(
        async () => {
          const found = await store.get(jobId);
          return found?.status === 'failed' ? found : undefined;
        },
        { what: 'the job failed in the store', ...(timeoutMs ? { timeoutMs } : {}) },
      );
    },
    async close(): Promise<void> {
      await worker?.close(2000);
      await queue.close();
      await cleanupPrefix(connection, keys.prefix);
      await connection.quit();
    },
  };
}

// A job whose workers keep dying is failed as `worker_lost` by the next worker that takes it
// (BullMQ's deferred failure, seen in that worker's own `failed` event), not left `active` in
// the job store: the worker no longer watches the queue's event stream for it.
describe('a job that stalled more often than allowed', () => {
  const fixture = failedJobFixture('test-stalled-out', 3);
  afterAll(() => fixture.close());

  it('ends as worker_lost, without running, in the worker that takes it next', async () => {
    const { connection, keys } = fixture;
    const jobId = await fixture.submit('echo: never run');

    // A worker takes the job and dies: its lock is gone and the job stays in `active`.
    const dyingConnection = connection.duplicate();
    const dying = new Worker(jobCatalog.prompt.queue, null, {
      connection: dyingConnection,
      prefix: keys.prefix,
      autorun: false,
    });
    const taken = await dying.getNextJob('dead-token');
    expect(taken?.id).toBe(jobId);
    await connection.del(`${keys.prefix}:${jobCatalog.prompt.queue}:${jobId}:lock`);
    await dying.close(true);
    await dyingConnection.quit();

    let ran = 0;
    await fixture.startWorker(
      (async () => {
        ran += 1;
      }) as unknown as Pipeline,
      // The stall check marks the job on its first pass and finds it unlocked on the next.
      { lockDurationMs: 1000, stalledIntervalMs: 200, maxStalledCount: 0 },
    );

    const record = await fixture.failedRecord(jobId);
    expect(record.error?.code).toBe('worker_lost');
    expect(ran).toBe(0);
  });
});

// A throw the pipeline did not catch reaches BullMQ, which retries the job and, after its last
// attempt, fails it: that last failure ends the job in the store (`failExhaustedAttempts`).
describe('a job whose every attempt threw outside the pipeline', () => {
  const fixture = failedJobFixture('test-exhausted', 2);
  afterAll(() => fixture.close());

  it('is left to BullMQ to retry, then failed as internal_error in the store', async () => {
    const jobId = await fixture.submit('echo: throws');
    const attempts: string[] = [];
    // The record as the second attempt finds it: the first attempt's failure, which left a
    // retry, must not have ended it. Read there, not by polling between the attempts, which a
    // slow machine could step over (BullMQ's backoff is a second).
    let statusAtRetry: string | undefined;
    await fixture.startWorker(
      (async () => {
        if (attempts.length > 0) statusAtRetry = (await fixture.store.get(jobId))?.status;
        attempts.push(attempts.length === 0 ? 'first' : 'last');
        throw new Error(`unexpected throw, attempt ${attempts.length}`);
      }) as unknown as Pipeline,
      { lockDurationMs: 5000, stalledIntervalMs: 5000, maxStalledCount: 1 },
    );

    // BullMQ's backoff before the second attempt is a second.
    const record = await fixture.failedRecord(jobId, 10_000);
    expect(attempts).toEqual(['first', 'last']);
    expect(statusAtRetry).toBeDefined();
    expect(statusAtRetry).not.toBe('failed');
    expect(record.error).toMatchObject({
      code: 'internal_error',
      message: 'unexpected throw, attempt 2',
    });
  });
});
