import { waitFor } from '@llmq/testing';
import OpenAI, { toFile } from 'openai';
import { batchLines, parseJsonl } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
type OutputLine = {
  custom_id: string;
  response: { status_code: number } | null;
  error: { code: string } | null;
};

let system: System;
let client: OpenAI;

beforeAll(async () => {
  // Slow answers and few slots, so a batch is still running when the test stops it.
  system = await startSystem({
    simulatorModels: { 'sim-gpt-fast': { latencyMs: 40 } },
    workerEnv: { BULK_WORKER_CONCURRENCY: '4', LANE_LENDING: 'false' },
  });
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
});

afterAll(async () => {
  await system?.stop();
});

async function startBatch(count: number, window: string) {
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchLines(count)), 'input.jsonl'),
    purpose: 'batch',
  });
  return client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: window as '24h',
  });
}

async function waitForStatus(batchId: string, statuses: string[]) {
  return waitFor(
    async () => {
      const batch = await client.batches.retrieve(batchId);
      return statuses.includes(batch.status) ? batch : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50, what: `batch ${batchId} to reach ${statuses.join('/')}` },
  );
}

async function readLines(fileId: string | null | undefined): Promise<OutputLine[]> {
  if (!fileId) return [];
  return parseJsonl<OutputLine>(await (await client.files.content(fileId)).text());
}

/** Every custom_id of a `count`-line batch appears exactly once across both files. */
function expectEachOnce(lines: OutputLine[], count: number) {
  const ids = lines.map((line) => line.custom_id).sort();
  expect(ids).toEqual(Array.from({ length: count }, (_, index) => `request-${index}`).sort());
}

test('cancel mid-run keeps finished lines in the output and ends the rest as cancelled', async () => {
  const count = 300;
  const created = await startBatch(count, '24h');
  await waitFor(
    async () => {
      const batch = await client.batches.retrieve(created.id);
      return (batch.request_counts?.completed ?? 0) >= 10 ? batch : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 20, what: 'some lines to complete' },
  );
  const cancelling = await client.batches.cancel(created.id);
  expect(cancelling.status).toBe('cancelling');
  expect(cancelling.cancelling_at).toEqual(expect.any(Number));

  const batch = await waitForStatus(created.id, ['cancelled']);
  expect(batch.cancelled_at).toEqual(expect.any(Number));
  const completed = batch.request_counts!.completed;
  expect(completed).toBeGreaterThanOrEqual(10);
  expect(completed).toBeLessThan(count);

  const output = await readLines(batch.output_file_id);
  const errors = await readLines(batch.error_file_id);
  expect(output).toHaveLength(completed);
  for (const line of output) expect(line.response?.status_code).toBe(200);
  const cancelled = errors.filter((line) => line.error?.code === 'batch_cancelled');
  expect(cancelled.length).toBe(count - completed - batch.request_counts!.failed);
  expectEachOnce([...output, ...errors], count);

  const again = await system.request('POST', `/v1/batches/${created.id}/cancel`);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('batch_not_cancellable');
});

test('when the completion window ends, lines not yet run end as expired', async () => {
  const count = 300;
  const created = await startBatch(count, '2s');
  const batch = await waitForStatus(created.id, ['expired', 'completed']);
  expect(batch.status).toBe('expired');
  expect(batch.expired_at).toEqual(expect.any(Number));
  const output = await readLines(batch.output_file_id);
  const errors = await readLines(batch.error_file_id);
  expect(output.length).toBe(batch.request_counts!.completed);
  expect(errors.some((line) => line.error?.code === 'batch_expired')).toBe(true);
  expectEachOnce([...output, ...errors], count);
});
