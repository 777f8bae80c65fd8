import {
  createLogger,
  createQueue,
  createRedisConnection,
  JobStore,
  JobSubmitter,
  loadModelCatalog,
  RedisKeys,
  SubmissionStore,
} from '@llmq/core';
import type { createPromptPipeline } from '@llmq/runner';
import { captureLines, cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { type RunningPromptWorker, startPromptWorker } from '../src/prompt-worker';

// The pipeline ends its jobs itself; a throw it did not catch reaches BullMQ, which retries the
// job and, after its last attempt, fails it. That last failure must end the job in the job
// store too (`failExhaustedAttempts`), or a client polling it would see `queued`/`running`
// until the record expired.
describe('a job whose every attempt threw outside the pipeline', () => {
  const keys = new RedisKeys(uniquePrefix('test-exhausted'));
  const connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  const store = new JobStore(connection, keys, { resultTtlSeconds: 600 });
  const queue = createQueue('prompt', connection, keys);
  let worker: RunningPromptWorker | undefined;

  afterAll(async () => {
    await worker?.close(2000);
    await queue.close();
    await cleanupPrefix(connection, keys.prefix);
    await connection.quit();
  });

  it('is left to BullMQ to retry, then failed as internal_error in the store', async () => {
    const submitter = new JobSubmitter({
      queue,
      store,
      submissions: new SubmissionStore(connection, keys, {
        recordTtlSeconds: store.pendingTtlSeconds,
      }),
      catalog: loadModelCatalog(),
      defaultModel: 'sim-gpt-fast',
      attempts: 2,
    });
    const { jobId } = (await submitter.submit({
      tenant: 't',
      request: { prompt: 'echo: throws', priority: 5 },
    })) as { jobId: string };

    const attempts: string[] = [];
    const pipeline = (async () => {
      attempts.push(attempts.length === 0 ? 'first' : 'last');
      throw new Error(`unexpected throw, attempt ${attempts.length}`);
    }) as unknown as ReturnType<typeof createPromptPipeline>;
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
      lockDurationMs: 5000,
      stalledIntervalMs: 5000,
      maxStalledCount: 1,
    });

    // The first attempt's failure leaves a retry: the record is not ended.
    await waitFor(
      async () => ((await queue.getJob(jobId))?.attemptsMade === 1 ? true : undefined),
      {
        what: 'the first attempt failed',
      },
    );
    expect((await store.get(jobId))?.status).not.toBe('failed');

    const record = await waitFor(
      async () => {
        const found = await store.get(jobId);
        return found?.status === 'failed' ? found : undefined;
      },
      { what: 'the job failed in the store', timeoutMs: 10_000 },
    );
    expect(attempts).toEqual(['first', 'last']);
    expect(record.error).toMatchObject({
      code: 'internal_error',
      message: 'unexpected throw, attempt 2',
    });
  });
});
