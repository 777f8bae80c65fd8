import OpenAI, { toFile } from 'openai';
import { batchLines, parseJsonl, waitForBatchEnd } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let client: OpenAI;

beforeAll(async () => {
  system = await startSystem({ workerEnv: { BULK_WORKER_CONCURRENCY: '20' } });
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

async function upload(count: number, prefix: string): Promise<string> {
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchLines(count, { prefix })), 'input.jsonl'),
    purpose: 'batch',
  });
  return file.id;
}

async function costByTier(): Promise<Record<string, number>> {
  const usage = await system.request('GET', '/v1/usage');
  return usage.body.cost_by_tier_usd;
}

describe('batch deadlines', () => {
  it('runs the lines of a batch with a loose complete_by on flex, billed at flex prices', async () => {
    const before = await costByTier();
    const completeBy = Math.floor(Date.now() / 1000) + 3600;
    const created = await client.batches.create({
      input_file_id: await upload(20, 'loose'),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      // @ts-expect-error: llmq's extension, not in OpenAI's parameters
      complete_by: completeBy,
    });
    // The batch is due at complete_by, tighter than the 24 h window.
    expect(created.expires_at).toBe(completeBy);
    const batch = await waitForBatchEnd(client, created.id);
    expect(batch.request_counts).toEqual({ total: 20, completed: 20, failed: 0 });
    const output = parseJsonl<{ custom_id: string }>(
      await (await client.files.content(batch.output_file_id as string)).text(),
    );
    expect(new Set(output.map((line) => line.custom_id)).size).toBe(20);
    const flexCalls = system.simulator
      .counters()
      .recent.filter((call) => call.serviceTier === 'flex' && call.status === 200);
    expect(flexCalls.length).toBeGreaterThanOrEqual(20);
    const after = await costByTier();
    expect(after.flex).toBeGreaterThan(before.flex ?? 0);
    expect(after.standard).toBe(before.standard);
  });

  it('keeps a batch without complete_by on standard, as before', async () => {
    system.simulator.reset();
    const before = await costByTier();
    const created = await client.batches.create({
      input_file_id: await upload(10, 'plain'),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const batch = await waitForBatchEnd(client, created.id);
    expect(batch.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
    expect(system.simulator.counters().recent.every((call) => call.serviceTier === undefined)).toBe(
      true,
    );
    const after = await costByTier();
    expect(after.standard).toBeGreaterThan(before.standard ?? 0);
    expect(after.flex).toBe(before.flex);
  });

  it('refuses a complete_by past the completion window, and takes a batch pinned to provider batches', async () => {
    const inputFileId = await upload(1, 'refused');
    const late = await system.request('POST', '/v1/batches', {
      input_file_id: inputFileId,
      endpoint: '/v1/chat/completions',
      completion_window: '1h',
      complete_by: Math.floor(Date.now() / 1000) + 7200,
    });
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe('invalid_completion_window');
    const pinned = await system.request('POST', '/v1/batches', {
      input_file_id: inputFileId,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      service_tier: 'batch',
    });
    // Provider batches run batch lines (see provider-batch-passthrough.test.ts).
    expect(pinned.status).toBe(200);
    expect(pinned.body.status).toBe('validating');
  });
});
