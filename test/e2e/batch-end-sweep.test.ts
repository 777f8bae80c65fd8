import { type BatchStore, completedBatchLine } from '@llmq/core';
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
  ({ system, client, store } = await startSweepingSystem());
});

afterAll(async () => {
  await system?.stop();
});

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

test('a batch whose ingest stopped after it began, without failing it, ends failed', async () => {
  const id = await createdBatch(2);
  await store.begin(id, 2);
  expect((await client.batches.retrieve(id)).status).toBe('in_progress');
  const batch = await waitForBatchEnd(client, id);
  expect(batch.status).toBe('failed');
  expect(batch.errors?.data).toEqual([
    {
      code: 'ingest_failed',
      message: "the batch's input could not be ingested: its ingest stopped before it finished",
      line: null,
      param: null,
    },
  ]);
  const errors = parseJsonl<{ custom_id: string; error: { code: string } }>(
    await (await client.files.content(batch.error_file_id ?? '')).text(),
  );
  expect(errors.map((line) => [line.custom_id, line.error.code])).toEqual([
    ['request-0', 'batch_failed'],
    ['request-1', 'batch_failed'],
  ]);
});
