import { testEnv, waitFor } from '@llmq/testing';
import OpenAI, { toFile } from 'openai';
import { batchLines, parseJsonl } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

let system: System;

beforeAll(async () => {
  system = await startSystem({ workerEnv: { BULK_WORKER_CONCURRENCY: '200' } });
});

afterAll(async () => {
  await system?.stop();
});

// The full 20,000 lines: about 15 s on the shared 2-core machine. E2E_BATCH_LINES
// scales it for a quick local run or a bigger soak.
const count = testEnv().E2E_BATCH_LINES;

test(`a ${count}-line batch completes through a real worker, each custom_id once`, async () => {
  const client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchLines(count)), 'big.jsonl'),
    purpose: 'batch',
  });
  const created = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  const batch = await waitFor(
    async () => {
      const current = await client.batches.retrieve(created.id);
      return ['completed', 'failed', 'cancelled', 'expired'].includes(current.status)
        ? current
        : undefined;
    },
    { timeoutMs: 110_000, intervalMs: 250, what: 'the batch to end' },
  );
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: count, completed: count, failed: 0 });
  const lines = parseJsonl<{ custom_id: string }>(
    await (await client.files.content(batch.output_file_id!)).text(),
  );
  expect(lines).toHaveLength(count);
  expect(new Set(lines.map((line) => line.custom_id)).size).toBe(count);
}, 120_000);
