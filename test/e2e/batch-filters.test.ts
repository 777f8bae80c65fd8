/**
 * Batch lines pass the tenant's input and output filters, as prompt jobs do: a batch file never
 * went through the API's input filter, so the worker screens each line when it runs it.
 */
import { defaultFilterPolicy, FilterPolicyStore, mergeFilterPolicy, RedisKeys } from '@llmq/core';
import OpenAI from 'openai';
import { parseJsonl, runBatch } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

let system: System;
let client: OpenAI;

beforeAll(async () => {
  // Policies are read fresh for every line, so the tenant policy below applies at once.
  system = await startSystem({ env: { FILTER_POLICY_CACHE_MS: '0' } });
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  // Tenant `e2e` (the harness's key) blocks email addresses in answers; inputs keep the
  // defaults (secrets block, card numbers are redacted, emails only flagged).
  await new FilterPolicyStore(system.redis, new RedisKeys(system.prefix), {
    defaults: defaultFilterPolicy,
    cacheTtlMs: 0,
  }).write(
    'e2e',
    mergeFilterPolicy(defaultFilterPolicy, { output: { detectors: { email: 'block' } } }),
  );
});

afterAll(async () => {
  await system?.stop();
});

const line = (customId: string, content: string) => ({
  custom_id: customId,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content }] },
});

interface OutputLine {
  custom_id: string;
  response: { body: { choices: Array<{ message: { content: string } }> } } | null;
  error: { code: string; message: string } | null;
}

test('a batch line is screened by the input filter before its call and the output filter after it', async () => {
  const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz012345';
  const lines = [
    line('clean', 'echo: plain words'),
    line('secret', `echo: my key is ${secret}`),
    line('card', 'echo: card 4111 1111 1111 1111 please'),
    line('email', 'echo: write to someone@example.com'),
  ];
  const { created, batch } = await runBatch(client, '/v1/chat/completions', lines);
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: 4, completed: 2, failed: 2 });

  const outputs = parseJsonl<OutputLine>(
    await (await client.files.content(batch.output_file_id!)).text(),
  );
  const errors = parseJsonl<OutputLine>(
    await (await client.files.content(batch.error_file_id!)).text(),
  );
  const answerOf = (customId: string) =>
    outputs.find((entry) => entry.custom_id === customId)?.response?.body.choices[0]?.message
      .content;
  const errorOf = (customId: string) => errors.find((entry) => entry.custom_id === customId)?.error;

  expect(answerOf('clean')).toBe('plain words');
  // The card number was redacted before the provider saw it, so the echo cannot repeat it.
  expect(answerOf('card')).toContain('card');
  expect(answerOf('card')).not.toContain('4111');
  expect(errorOf('secret')?.code).toBe('content_filtered');
  expect(errorOf('email')?.code).toBe('output_rejected');

  // The blocked input never reached the provider; the other three lines made one call each.
  const prompts = system.simulator
    .counters()
    .recent.filter((call) => call.headers['x-llmq-job-id']?.startsWith(created.id));
  expect(prompts).toHaveLength(3);
});

test('embeddings lines pass the input filter before they join a shared call', async () => {
  const lines = [
    { custom_id: 'clean', body: { model: 'sim-embed-small', input: 'plain words' } },
    {
      custom_id: 'secret',
      body: {
        model: 'sim-embed-small',
        input: ['fine', 'key sk-proj-abcdefghijklmnopqrstuvwxyz012345'],
      },
    },
  ].map((entry) => ({ ...entry, method: 'POST', url: '/v1/embeddings' }));
  const { batch } = await runBatch(client, '/v1/embeddings', lines);
  expect(batch.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
  const errors = parseJsonl<OutputLine>(
    await (await client.files.content(batch.error_file_id!)).text(),
  );
  expect(errors.map((entry) => [entry.custom_id, entry.error?.code])).toEqual([
    ['secret', 'content_filtered'],
  ]);
});
