import {
  type BatchLineJobData,
  type BatchStore,
  completedBatchLine,
  createRedisConnection,
  jobCatalog,
} from '@llmq/core';
import { testEnv, testRedisUrl, waitFor } from '@llmq/testing';
import { Queue } from 'bullmq';
import type OpenAI from 'openai';
import {
  parseJsonl,
  startSweepingSystem,
  waitForBatchEnd,
  writeBatchRecordOnly,
} from './batch-helpers';

// A worker that dies (or whose Redis fails) right after the script that moves a batch, before
// it adds the control job that carries the batch on, leaves exactly that state. Here the
// batch's state is written by the store's own code, and its job never added: the running
// worker's batch end sweeper must still end it, as the official client sees.

let system: Awaited<ReturnType<typeof startSweepingSystem>>['system'];
let client: OpenAI;
let store: BatchStore;

beforeAll(async () => {
  // A slow model: a line's call is still under way when the sweeper fails its batch's ingest.
  ({ system, client, store } = await startSweepingSystem({
    simulatorModels: { 'sim-gpt-fast': { latencyMs: 5000 } },
  }));
});

afterAll(async () => {
  await system?.stop();
});

/** The one error of a batch whose ingest the sweeper gave up as lost. */
const ingestLost = {
  code: 'ingest_failed',
  message: "the batch's input could not be ingested: its ingest stopped before it finished",
  line: null,
  param: null,
};

/** A batch's error file as `[custom_id, error code]` pairs, in file order. */
async function errorCodes(errorFileId: string | null | undefined): Promise<string[][]> {
  const lines = parseJsonl<{ custom_id: string; error: { code: string } }>(
    await (await client.files.content(errorFileId ?? '')).text(),
  );
  return lines.map((line) => [line.custom_id, line.error.code]);
}

/** A batch of `count` lines, created as the API creates one, its jobs never added. */
async function createdBatch(count: number): Promise<string> {
  const id = await writeBatchRecordOnly(client, store, count);
  // Its create confirmed its jobs queued: the batch sweeper of creates leaves it alone.
  await store.pending.clear([id]);
  return id;
}

test('a batch whose last line claimed its finalisation, the finalise job never added, completes', async () => {
  const id = await createdBatch(2);
  await store.begin(id, 2);
  await store.markEnqueued(id);
  for (const index of [0, 1]) {
    const body = { id: `chatcmpl-${index}`, object: 'chat.completion', choices: [] };
    await store.recordLine(
      id,
      index,
      'completed',
      completedBatchLine(`request-${index}`, `req-${index}`, body),
    );
  }
  expect((await client.batches.retrieve(id)).status).toBe('finalizing');
  const batch = await waitForBatchEnd(client, id);
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
  const output = parseJsonl<{ custom_id: string }>(
    await (await client.files.content(batch.output_file_id ?? '')).text(),
  );
  expect(output.map((line) => line.custom_id)).toEqual(['request-0', 'request-1']);
});

test('a batch cancelled while validating, its ingest then lost, ends cancelled with the ingest error', async () => {
  const id = await createdBatch(2);
  expect((await client.batches.cancel(id)).status).toBe('cancelling');
  const batch = await waitForBatchEnd(client, id);
  // OpenAI's lifecycle: a batch in `cancelling` ends `cancelled`; the ingest's failure is
  // reported in its errors all the same.
  expect(batch.status).toBe('cancelled');
  expect(batch.cancelled_at).toEqual(expect.any(Number));
  expect(batch.failed_at).toBeNull();
  expect(batch.errors?.data).toEqual([ingestLost]);
});

test.each([
  ['no cancel', false, 'failed', 'batch_failed'],
  // A batch in `cancelling` ends `cancelled`, its requests not run listed as cancelled.
  ['a cancel first', true, 'cancelled', 'batch_cancelled'],
] as const)(
  'a batch whose ingest stopped after it began, without failing it, ends (%s)',
  async (_case, cancel, status, code) => {
    const id = await createdBatch(2);
    await store.begin(id, 2);
    expect((await client.batches.retrieve(id)).status).toBe('in_progress');
    if (cancel) expect((await client.batches.cancel(id)).status).toBe('cancelling');
    const batch = await waitForBatchEnd(client, id);
    expect(batch.status).toBe(status);
    expect(batch[`${status}_at`]).toEqual(expect.any(Number));
    if (cancel) expect(batch.failed_at).toBeNull();
    expect(batch.errors?.data).toEqual([ingestLost]);
    expect(await errorCodes(batch.error_file_id)).toEqual([
      ['request-0', code],
      ['request-1', code],
    ]);
  },
);

test("a line's call under way when its batch's ingest failed is billed once it ends, the batch's files unchanged", async () => {
  const id = await createdBatch(2);
  await store.begin(id, 2);
  // Line 0 queued as the ingest queues it, then the ingest is lost: the sweeper fails the
  // batch while line 0's call (5 s) is under way.
  const connection = createRedisConnection({
    url: testEnv().LLMQ_TEST_REDIS_CLUSTER_URL ?? testRedisUrl(),
    role: 'worker',
    name: 'llmq-e2e-batch-end-sweep',
  });
  const lines = new Queue(jobCatalog['batch-line'].queue, { connection, prefix: system.prefix });
  try {
    const data: BatchLineJobData = {
      batchId: id,
      tenant: 'e2e',
      index: 0,
      customId: 'request-0',
      model: 'sim-gpt-fast',
      request: { messages: [{ role: 'user', content: 'Say something slowly' }], maxTokens: 8 },
      createdAt: Date.now(),
    };
    await lines.add('batch-line', data, {
      ...jobCatalog['batch-line'].defaultOptions,
      jobId: `${id}-0`,
    });
  } finally {
    await lines.close();
    await connection.quit();
  }
  const batch = await waitForBatchEnd(client, id);
  expect(batch.status).toBe('failed');
  expect(batch.request_counts).toEqual({ total: 2, completed: 0, failed: 0 });

  // The call was paid to the provider: it lands in the tenant's usage and cost when it ends.
  const usageOfModel = async () => {
    const usage = await system.request('GET', '/v1/usage?group_by=model');
    return (usage.body.data as Array<{ model: string; calls: number; cost_usd: number }>).find(
      (row) => row.model === 'sim-gpt-fast',
    );
  };
  const billed = await waitFor(usageOfModel, {
    timeoutMs: 15_000,
    intervalMs: 200,
    what: 'the late call in the usage report',
  });
  expect(billed.calls).toBe(1);
  expect(billed.cost_usd).toBeGreaterThan(0);
  // The ended batch is as it was: its counts, and its error file listing both requests.
  const after = await client.batches.retrieve(id);
  expect(after.request_counts).toEqual({ total: 2, completed: 0, failed: 0 });
  expect(after.output_file_id).toBeNull();
  expect(await errorCodes(after.error_file_id)).toEqual([
    ['request-0', 'batch_failed'],
    ['request-1', 'batch_failed'],
  ]);
  // Billed once: a second look finds the same single call.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await usageOfModel())?.calls).toBe(1);
});
