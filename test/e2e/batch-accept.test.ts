import type { BatchStore } from '@llmq/core';
import type OpenAI from 'openai';
import {
  parseJsonl,
  startSweepingSystem,
  waitForBatchEnd,
  writeBatchRecordOnly,
} from './batch-helpers';

// An API process that dies (or whose Redis fails) right after writing a batch's record, before
// queueing its ingest and expiry jobs, leaves exactly that record. The worker's batch sweeper
// must still run the batch: here the record is written by the API's own store code, and
// nothing else is.

let system: Awaited<ReturnType<typeof startSweepingSystem>>['system'];
let client: OpenAI;
let store: BatchStore;

beforeAll(async () => {
  ({ system, client, store } = await startSweepingSystem());
});

afterAll(async () => {
  await system?.stop();
});

test('a batch whose create died before queueing its jobs is ingested and completes', async () => {
  const id = await writeBatchRecordOnly(client, store, 3);
  expect((await client.batches.retrieve(id)).status).toBe('validating');
  const batch = await waitForBatchEnd(client, id);
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
  const output = parseJsonl<{ custom_id: string }>(
    await (await client.files.content(batch.output_file_id ?? '')).text(),
  );
  expect(output.map((line) => line.custom_id).sort()).toEqual([
    'request-0',
    'request-1',
    'request-2',
  ]);
});

test('one cancelled before its jobs were queued still ends, as cancelled', async () => {
  const id = await writeBatchRecordOnly(client, store, 2);
  const cancelling = await client.batches.cancel(id);
  expect(cancelling.status).toBe('cancelling');
  const batch = await waitForBatchEnd(client, id);
  expect(batch.status).toBe('cancelled');
});
