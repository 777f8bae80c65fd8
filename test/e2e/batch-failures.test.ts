import Anthropic from '@anthropic-ai/sdk';
import { createRedisConnection, jobCatalog, RedisKeys } from '@llmq/core';
import { freePort, type ServiceProcess, testEnv, testRedisUrl, waitFor } from '@llmq/testing';
import { Queue, Worker } from 'bullmq';
import OpenAI, { toFile } from 'openai';
import { batchLines, parseJsonl, waitForBatchEnd } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

// A batch always reaches a final state a client can see: an ingest that fails every attempt
// (or stalls out) fails its batch with a fixed message, the error itself only in the worker's
// log; one that fails after queuing some lines reports their answers and bills nothing else;
// and a batch still validating at its deadline expires.
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let keys: RedisKeys;
let client: OpenAI;
let anthropic: Anthropic;
let worker: ServiceProcess | undefined;
let workerMetricsUrl = '';

/** The message every batch whose ingest failed all its (5) attempts reports. */
const attemptsMessage =
  "the batch's input could not be ingested: all 5 attempts failed on an internal error";

beforeAll(async () => {
  // No worker yet: a test breaks what a batch's ingest will read before a worker takes it.
  system = await startSystem({ workers: 0 });
  keys = new RedisKeys(system.prefix);
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

/**
 * Starts the one worker of this file, once: a short stall check, and a job that stalls once
 * has stalled out (`MAX_STALLED_COUNT=0`).
 */
async function ensureWorker(): Promise<ServiceProcess> {
  if (worker) return worker;
  const port = await freePort();
  worker = system.startWorker({
    WORKER_METRICS_PORT: String(port),
    WORKER_METRICS_HOST: '127.0.0.1',
    STALLED_INTERVAL_MS: '500',
    MAX_STALLED_COUNT: '0',
  });
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  return worker;
}

/** A connection for a BullMQ client of the test's own, on the system's Redis (or cluster). */
function workerConnection() {
  return createRedisConnection({
    url: testEnv().LLMQ_TEST_REDIS_CLUSTER_URL ?? testRedisUrl(),
    role: 'worker',
    name: 'llmq-e2e-batch-failures',
  });
}

/**
 * Runs `setup` with the batch-control queue paused, so the worker takes no ingest until what
 * `setup` broke for it is in place.
 */
async function whileIngestWaits<T>(setup: () => Promise<T>): Promise<T> {
  const connection = workerConnection();
  const queue = new Queue(jobCatalog['batch-ingest'].queue, { connection, prefix: system.prefix });
  await queue.pause();
  try {
    return await setup();
  } finally {
    await queue.resume();
    await queue.close();
    await connection.quit();
  }
}

/** Makes every read of a stored file a Redis error (WRONGTYPE): its chunks are not a list. */
async function breakFile(fileId: string): Promise<void> {
  const chunks = keys.fileChunks(fileId);
  expect(await system.redis.exists(chunks)).toBe(1);
  await system.redis.del(chunks);
  await system.redis.set(chunks, 'not a list');
}

/** Uploads a file, then breaks it in Redis. */
async function unreadableFile(prefix: string): Promise<string> {
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchLines(3, { prefix })), 'input.jsonl'),
    purpose: 'batch',
  });
  await breakFile(file.id);
  return file.id;
}

/** The worker's `llm_batch_requests_total` by outcome. */
async function batchRequestsByOutcome(): Promise<Record<string, number>> {
  const text = await (await fetch(workerMetricsUrl)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^llm_batch_requests_total\{outcome="(\w+)"\} (\d+)/gm))
    counts[match[1] ?? ''] = Number(match[2]);
  return counts;
}

describe('batches whose ingest cannot run', () => {
  it('fails a batch whose ingest stalled out: its worker died holding it', async () => {
    const file = await client.files.create({
      file: await toFile(Buffer.from(batchLines(2, { prefix: 'stalled' })), 'input.jsonl'),
      purpose: 'batch',
    });
    // The first test of the file: no worker runs yet, so this one takes the ingest job.
    expect(worker).toBeUndefined();
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const queue = jobCatalog['batch-ingest'].queue;
    const dyingConnection = workerConnection();
    const dying = new Worker(queue, null, {
      connection: dyingConnection,
      prefix: system.prefix,
      autorun: false,
    });
    try {
      const taken = await waitFor(async () => (await dying.getNextJob('dead-token')) ?? undefined, {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: 'the ingest job',
      });
      expect(taken.id).toBe(`ingest-${created.id}`);
      // It dies: its lock is gone and the job stays active until a stall check finds it.
      await system.redis.del(`${system.prefix}:${queue}:${taken.id}:lock`);
    } finally {
      await dying.close(true);
      await dyingConnection.quit();
    }
    await ensureWorker();

    const batch = await waitForBatchEnd(client, created.id, 30_000);
    expect(batch.status).toBe('failed');
    expect(batch.errors?.data).toEqual([
      {
        code: 'ingest_failed',
        message:
          "the batch's input could not be ingested: the workers ingesting it stopped too many times",
        line: null,
        param: null,
      },
    ]);
    expect(batch.request_counts).toEqual({ total: 0, completed: 0, failed: 0 });
  });

  it('fails a batch whose ingest fails every attempt with a fixed message, the error only in the log', async () => {
    await ensureWorker();
    const created = await client.batches.create({
      input_file_id: await unreadableFile('unreadable'),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created.status).toBe('validating');
    // Five attempts with exponential backoff from 1 s: about 15 s.
    const batch = await waitForBatchEnd(client, created.id, 45_000);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).toEqual(expect.any(Number));
    // A stable message with its code: not the Redis error, which names a key of llmq's.
    expect(batch.errors).toEqual({
      object: 'list',
      data: [{ code: 'ingest_failed', message: attemptsMessage, line: null, param: null }],
    });
    expect(JSON.stringify(batch)).not.toMatch(/WRONGTYPE|chunks/);
    expect(batch.output_file_id).toBeNull();
    const expiry = await system.redis.exists(`${system.prefix}:batch-control:expire-${created.id}`);
    expect(expiry).toBe(0);
    // The worker's log has the error itself, with the batch id.
    const logged = (worker?.output() ?? '')
      .split('\n')
      .find((line) => line.includes('batch-ingest-failed') && line.includes(created.id));
    expect(logged).toBeDefined();
    expect(JSON.parse(logged ?? '{}')).toMatchObject({
      event: 'batch-ingest-failed',
      batch_id: created.id,
      cause: 'attempts',
      error_name: 'ReplyError',
      error: expect.stringMatching(/WRONGTYPE/),
    });
  });

  it('ends a batch whose ingest failed after queuing some lines failed, with their answers, billing nothing else', async () => {
    // Lines of a model without a batch tier run in the bulk lane; those of sim-gpt-fast go to
    // a provider batch, planned after the bulk lines are queued. That provider batch's record
    // is broken before the ingest runs, so every attempt queues the bulk lines, then fails.
    const lines = [
      ...parseJsonl(batchLines(2, { model: 'sim-local-llama', prefix: 'bulk' })),
      ...parseJsonl(batchLines(2, { model: 'sim-gpt-fast', prefix: 'provider' })),
    ];
    const file = await client.files.create({
      file: await toFile(
        Buffer.from(`${lines.map((line) => JSON.stringify(line)).join('\n')}\n`),
        'input.jsonl',
      ),
      purpose: 'batch',
    });
    await ensureWorker();
    const created = await whileIngestWaits(async () => {
      const batch = await client.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        // @ts-expect-error: llmq's extension, not in OpenAI's parameters
        service_tier: 'batch',
      });
      await system.redis.set(keys.providerBatch(`${batch.id}-pb0`), 'not a hash');
      return batch;
    });

    const batch = await waitForBatchEnd(client, created.id, 45_000);
    expect(batch.status).toBe('failed');
    expect(batch.errors?.data).toEqual([
      { code: 'ingest_failed', message: attemptsMessage, line: null, param: null },
    ]);
    expect(batch.request_counts).toEqual({ total: 4, completed: 2, failed: 0 });
    // The queued lines' answers are in the output file; the others in the error file.
    const output = parseJsonl<{ custom_id: string; response: { status_code: number } }>(
      await (await client.files.content(batch.output_file_id ?? '')).text(),
    );
    expect(output.map((line) => [line.custom_id, line.response.status_code]).sort()).toEqual([
      ['bulk-0', 200],
      ['bulk-1', 200],
    ]);
    const errors = parseJsonl<{ custom_id: string; response: null; error: { code: string } }>(
      await (await client.files.content(batch.error_file_id ?? '')).text(),
    );
    expect(errors.map((line) => [line.custom_id, line.error.code, line.response])).toEqual([
      ['provider-0', 'batch_failed', null],
      ['provider-1', 'batch_failed', null],
    ]);
    // Billed: exactly the two answers the output file shows.
    const usage = await system.request('GET', '/v1/usage?group_by=model');
    const calls = Object.fromEntries(
      (usage.body.data as Array<{ model: string; calls: number }>).map((row) => [
        row.model,
        row.calls,
      ]),
    );
    expect(calls['sim-local-llama']).toBe(2);
    expect(calls['sim-gpt-fast'] ?? 0).toBe(0);
    // Counted as not run because the batch failed, never as cancelled.
    const outcomes = await batchRequestsByOutcome();
    expect(outcomes.batch_failed).toBe(2);
    expect(outcomes.cancelled ?? 0).toBe(0);
  });

  it('answers every request of a Message Batch whose input could not be read as errored', async () => {
    await ensureWorker();
    const created = await whileIngestWaits(async () => {
      const batch = await anthropic.messages.batches.create({
        requests: ['m-0', 'm-1', 'm-2'].map((customId) => ({
          custom_id: customId,
          params: {
            model: 'sim-claude-fast',
            max_tokens: 16,
            messages: [{ role: 'user' as const, content: `Hello ${customId}` }],
          },
        })),
      });
      const inputFileId = await system.redis.hget(keys.batch(batch.id), 'input_file_id');
      await breakFile(inputFileId ?? '');
      return batch;
    });

    const ended = await waitFor(
      async () => {
        const batch = await anthropic.messages.batches.retrieve(created.id);
        return batch.processing_status === 'ended' ? batch : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 200, what: `message batch ${created.id} to end` },
    );
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 0,
      errored: 3,
      canceled: 0,
      expired: 0,
    });
    const results = [];
    for await (const line of await anthropic.messages.batches.results(created.id))
      results.push(line);
    expect(results.map((line) => line.custom_id)).toEqual(['m-0', 'm-1', 'm-2']);
    for (const line of results)
      expect(line.result).toEqual({
        type: 'errored',
        error: {
          type: 'error',
          error: { type: 'api_error', message: attemptsMessage },
          request_id: null,
        },
      });
  });

  it('expires a batch still validating at its deadline, and a late ingest leaves it expired', async () => {
    await ensureWorker();
    const completeBy = Math.floor(Date.now() / 1000) + 3;
    const created = await client.batches.create({
      input_file_id: await unreadableFile('late'),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      // @ts-expect-error: llmq's extension, not in OpenAI's parameters
      complete_by: completeBy,
    });
    expect(created.expires_at).toBe(completeBy);
    // The ingest keeps failing (retried at 1, 3, 7 and 15 s); the expiry comes first.
    const batch = await waitForBatchEnd(client, created.id, 30_000);
    expect(batch.status).toBe('expired');
    expect(batch.expired_at).toEqual(expect.any(Number));
    expect(batch.errors).toBeNull();
    expect(batch.request_counts).toEqual({ total: 0, completed: 0, failed: 0 });
    // The ingest job's next attempt finds the batch ended: it completes, starting nothing.
    const completed = `${system.prefix}:batch-control:completed`;
    await waitFor(
      async () =>
        (await system.redis.zscore(completed, `ingest-${created.id}`)) !== null ? true : undefined,
      { timeoutMs: 30_000, intervalMs: 200, what: `ingest of ${created.id} to complete` },
    );
    expect(await client.batches.retrieve(created.id)).toMatchObject({
      status: 'expired',
      errors: null,
    });
  });
});
