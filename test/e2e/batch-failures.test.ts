import { RedisKeys } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import OpenAI, { toFile } from 'openai';
import { batchLines } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

// A batch always reaches a final state a client can see: an ingest that fails every attempt
// fails its batch with the reason, and a batch still validating at its deadline expires.
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let client: OpenAI;

beforeAll(async () => {
  system = await startSystem();
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

/** Uploads a file, then breaks it in Redis: every read of it is a Redis error (WRONGTYPE). */
async function unreadableFile(prefix: string): Promise<string> {
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchLines(3, { prefix })), 'input.jsonl'),
    purpose: 'batch',
  });
  const chunks = new RedisKeys(system.prefix).fileChunks(file.id);
  expect(await system.redis.exists(chunks)).toBe(1);
  await system.redis.del(chunks);
  await system.redis.set(chunks, 'not a list');
  return file.id;
}

async function waitForEnd(batchId: string, timeoutMs: number) {
  return waitFor(
    async () => {
      const batch = await client.batches.retrieve(batchId);
      return ['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)
        ? batch
        : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `batch ${batchId} to end` },
  );
}

describe('batches whose ingest cannot run', () => {
  it('fails a batch whose ingest fails every attempt, naming why, and drops its expiry', async () => {
    const created = await client.batches.create({
      input_file_id: await unreadableFile('unreadable'),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created.status).toBe('validating');
    // Five attempts with exponential backoff from 1 s: about 15 s.
    const batch = await waitForEnd(created.id, 45_000);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).toEqual(expect.any(Number));
    expect(batch.errors?.object).toBe('list');
    expect(batch.errors?.data).toEqual([
      expect.objectContaining({ code: 'ingest_failed', line: null, param: null }),
    ]);
    expect(batch.errors?.data?.[0]?.message).toMatch(/5 attempts.*WRONGTYPE/);
    expect(batch.output_file_id).toBeNull();
    const expiry = await system.redis.exists(`${system.prefix}:batch-control:expire-${created.id}`);
    expect(expiry).toBe(0);
  });

  it('expires a batch still validating at its deadline, and a late ingest leaves it expired', async () => {
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
    const batch = await waitForEnd(created.id, 30_000);
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
