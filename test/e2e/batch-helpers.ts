import { waitFor } from '@llmq/testing';
import type OpenAI from 'openai';
import { toFile } from 'openai';

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
  const batch = await waitFor(
    async () => {
      const current = await client.batches.retrieve(created.id);
      return ['completed', 'failed', 'expired', 'cancelled'].includes(current.status)
        ? current
        : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `batch ${created.id} to end` },
  );
  return { created, batch };
}
