import { BatchStore, newId, RedisKeys } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import type { Redis } from 'ioredis';
import OpenAI, { toFile } from 'openai';
import { apiKey, startSystem } from './system-harness';

/** Builds a batch input file (JSONL) of `count` chat-completion requests. */
export function batchLines(
  count: number,
  options: { model?: string; prefix?: string } = {},
): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index += 1) {
    lines.push(
      JSON.stringify({
        custom_id: `${options.prefix ?? 'request'}-${index}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: options.model ?? 'sim-gpt-fast',
          messages: [{ role: 'user', content: `Say something about ${index}` }],
          max_tokens: 8,
        },
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Parses a JSONL text into objects. */
export function parseJsonl<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/**
 * Uploads `lines` as a batch input file, creates the batch for `endpoint` with the official
 * client, and waits for it to end (completed, failed, expired or cancelled).
 */
export async function runBatch(
  client: OpenAI,
  endpoint: '/v1/chat/completions' | '/v1/embeddings' | '/v1/completions' | '/v1/responses',
  lines: object[],
  timeoutMs = 30_000,
) {
  const text = `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
  const file = await client.files.create({
    file: await toFile(Buffer.from(text), 'input.jsonl'),
    purpose: 'batch',
  });
  const created = await client.batches.create({
    input_file_id: file.id,
    endpoint,
    completion_window: '24h',
  });
  const batch = await waitForBatchEnd(client, created.id, timeoutMs);
  return { created, batch };
}

/**
 * What an error-file line of a request answered with an HTTP error holds, as OpenAI writes it:
 * the status and OpenAI's error object in `response`, `error` null (OpenAI's `error` is for
 * requests that failed with a non-HTTP error).
 */
export function httpErrorLine(
  customId: string,
  status: number,
  error: { message: unknown; type: string; param: string | null; code: string },
) {
  return {
    id: expect.stringMatching(/^batch_req_/),
    custom_id: customId,
    response: { status_code: status, request_id: expect.any(String), body: { error } },
    error: null,
  };
}

/** Polls a batch with the official client until it ends (completed, failed, expired, cancelled). */
export async function waitForBatchEnd(client: OpenAI, batchId: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const batch = await client.batches.retrieve(batchId);
      return ['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)
        ? batch
        : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `batch ${batchId} to end` },
  );
}

/**
 * Uploads `count` lines through the API, then writes the batch's record with the API's own
 * store code and nothing else: the state an API process that died mid-create leaves.
 */
export async function writeBatchRecordOnly(
  client: OpenAI,
  store: BatchStore,
  count: number,
): Promise<string> {
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchLines(count)), 'input.jsonl'),
    purpose: 'batch',
  });
  const id = newId('batch_');
  const createdAt = Date.now();
  await store.create({
    id,
    tenant: 'e2e',
    endpoint: '/v1/chat/completions',
    inputFileId: file.id,
    completionWindow: '24h',
    createdAt,
    expiresAt: createdAt + 24 * 3_600_000,
    reservedOutputFileId: newId('file-'),
    reservedErrorFileId: newId('file-'),
  });
  return id;
}

/**
 * A system whose worker sweeps every 200 ms with a 1.5 s grace (its sweepers find what a crash
 * left within seconds), the official client, and the API's batch store on its Redis: what the
 * crash-recovery batch tests write their half-done states with.
 */
export async function startSweepingSystem(
  options: Pick<Parameters<typeof startSystem>[0] & object, 'simulatorModels'> = {},
) {
  const system = await startSystem({
    ...options,
    workerEnv: { SUBMISSION_SWEEP_INTERVAL_MS: '200', SUBMISSION_SWEEP_GRACE_MS: '1500' },
  });
  const client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const store = new BatchStore(system.redis as Redis, new RedisKeys(system.prefix), {
    ttlSeconds: 600,
  });
  return { system, client, store };
}
