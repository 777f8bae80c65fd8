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

// A job whose workers keep dying is failed as `worker_lost` by the next worker that takes it
// (BullMQ's deferred failure, seen in that worker's own `failed` event), not left `active` in
// the job store: the worker no longer watches the queue's event stream for it.
describe('a job that stalled more often than allowed', () => {
  const keys = new RedisKeys(uniquePrefix('test-stalled-out'));
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

  it('ends as worker_lost, without running, in the worker that takes it next', async () => {
    const submitter = new JobSubmitter({
      queue,
      store,
      submissions: new SubmissionStore(connection, keys, {
        recordTtlSeconds: store.pendingTtlSeconds,
      }),
      catalog: loadModelCatalog(),
      defaultModel: 'sim-gpt-fast',
      attempts: 3,
    });
    const { jobId } = (await submitter.submit({
      tenant: 't',
      request: { prompt: 'echo: never run', priority: 5 },
    })) as { jobId: string };

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
    const pipeline = (async () => {
      ran += 1;
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
      lockDurationMs: 1000,
      // The stall check marks the job on its first pass and finds it unlocked on the next.
      stalledIntervalMs: 200,
      maxStalledCount: 0,
    });

    const record = await waitFor(
      async () => {
        const found = await store.get(jobId);
        return found?.status === 'failed' ? found : undefined;
      },
      { what: 'the job failed in the store' },
    );
    expect(record.error?.code).toBe('worker_lost');
    expect(ran).toBe(0);
  });
});
