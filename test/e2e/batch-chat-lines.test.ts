import OpenAI from 'openai';
import { batchLines, parseJsonl, runBatch } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

let system: System;
let client: OpenAI;

beforeAll(async () => {
  system = await startSystem({ workerEnv: { BULK_WORKER_CONCURRENCY: '8' } });
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
});

afterAll(async () => {
  await system?.stop();
});

interface OutputLine {
  custom_id: string;
  response: { status_code: number; body: OpenAI.ChatCompletion } | null;
  error: unknown;
}

test('chat lines on a model with a batching block (sim-local-llama) all end, each with its own answer', async () => {
  const lines = parseJsonl(batchLines(5, { model: 'sim-local-llama' }));
  const { batch } = await runBatch(client, '/v1/chat/completions', lines, 20_000);
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: 5, completed: 5, failed: 0 });
  const output = parseJsonl<OutputLine>(
    await (await client.files.content(batch.output_file_id ?? '')).text(),
  );
  expect(output.map((line) => line.custom_id).sort()).toEqual([
    'request-0',
    'request-1',
    'request-2',
    'request-3',
    'request-4',
  ]);
  // One provider call per line through the local (OpenAI-compatible) adapter: chat lines are
  // not micro-batched, whatever the model's batching block says.
  const calls = system.simulator
    .counters()
    .recent.filter(
      (entry) => entry.model === 'sim-local-llama' && entry.route === '/v1/chat/completions',
    );
  expect(calls.map((entry) => [entry.status, entry.inputCount])).toEqual(
    Array.from({ length: 5 }, () => [200, 1]),
  );
  expect(new Set(calls.map((entry) => entry.headers['x-llmq-job-id'])).size).toBe(5);
  for (const line of output) {
    expect(line.error).toBeNull();
    expect(line.response?.status_code).toBe(200);
    expect(line.response?.body.model).toBe('sim-local-llama');
    expect(line.response?.body.choices[0]?.message.content).toEqual(expect.any(String));
  }
});

test('a chat line setting a job-only field is refused at ingest, naming the field; no line is queued', async () => {
  const line = (customId: string, extra: Record<string, unknown> = {}) => ({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }], ...extra },
  });
  const { created, batch } = await runBatch(client, '/v1/chat/completions', [
    line('ok'),
    line('hedged', { hedge: { after_ms: 0 } }),
    line('hooked', { webhook: { url: 'https://example.com/hook' } }),
    line('tagged', { metadata: { team: 'a' } }),
    line('cached', { cache: 'bypass' }),
    line('optimised', { optimize: { normalize_whitespace: true } }),
  ]);
  expect(batch.status).toBe('failed');
  expect(batch.errors?.data?.map((error) => [error.line, error.code, error.param])).toEqual([
    [2, 'invalid_body', 'body.hedge'],
    [3, 'invalid_body', 'body.webhook'],
    [4, 'invalid_body', 'body.metadata'],
    [5, 'invalid_body', 'body.cache'],
    [6, 'invalid_body', 'body.optimize'],
  ]);
  for (const error of batch.errors?.data ?? [])
    expect(error.message).toContain('not supported on batch lines');
  const lineJobs = await system.redis.keys(`${system.prefix}:prompts-bulk:${created.id}-*`);
  expect(lineJobs).toEqual([]);
});

test("chat lines take OpenAI's legacy functions as the chat route does: answered as function_call, misuse refused by name", async () => {
  const getWeather = {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };
  const line = (customId: string, model: string, extra: Record<string, unknown>) => ({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model, messages: [{ role: 'user', content: 'Use get_weather for Oslo.' }], ...extra },
  });
  const { batch } = await runBatch(client, '/v1/chat/completions', [
    line('gpt', 'sim-gpt-fast', { functions: [getWeather] }),
    line('claude', 'sim-claude-fast', { functions: [getWeather], function_call: 'auto' }),
  ]);
  expect(batch.status).toBe('completed');
  const output = parseJsonl<OutputLine>(
    await (await client.files.content(batch.output_file_id ?? '')).text(),
  );
  expect(output).toHaveLength(2);
  for (const { custom_id, response } of output) {
    const choice = response?.body.choices[0];
    expect([custom_id, choice?.finish_reason]).toEqual([custom_id, 'function_call']);
    expect(choice?.message.tool_calls).toBeUndefined();
    expect(choice?.message.function_call?.name).toBe('get_weather');
  }

  const refused = await runBatch(client, '/v1/chat/completions', [
    line('mixed', 'sim-gpt-fast', {
      functions: [getWeather],
      tools: [{ type: 'function', function: getWeather }],
    }),
    line('alone', 'sim-gpt-fast', { function_call: 'auto' }),
  ]);
  expect(refused.batch.status).toBe('failed');
  expect(refused.batch.errors?.data?.map((error) => [error.line, error.code, error.param])).toEqual(
    [
      [1, 'invalid_body', 'body.functions'],
      [2, 'invalid_body', 'body.function_call'],
    ],
  );
});
