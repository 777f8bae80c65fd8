import OpenAI, { toFile } from 'openai';
import { batchLines, httpErrorLine, parseJsonl, runBatch, waitForBatchEnd } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

let system: System;
let client: OpenAI;

beforeAll(async () => {
  system = await startSystem({
    workerEnv: { BULK_WORKER_CONCURRENCY: '50', RETRY_BASE_DELAY_MS: '20' },
  });
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
});

afterAll(async () => {
  await system?.stop();
});

test('the official openai client runs a batch: every custom_id comes back exactly once', async () => {
  const count = 200;
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchLines(count)), 'input.jsonl'),
    purpose: 'batch',
  });
  expect(file).toMatchObject({ object: 'file', purpose: 'batch', filename: 'input.jsonl' });
  expect(file.id).toMatch(/^file-/);
  expect((await client.files.retrieve(file.id)).bytes).toBe(file.bytes);

  const created = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
    metadata: { purpose: 'e2e' },
  });
  expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id });
  expect(created.created_at).toBeLessThan(Date.now() / 1000 + 1);
  expect(created.expires_at).toBe(created.created_at + 24 * 3600);

  const batch = await waitForBatchEnd(client, created.id);
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: count, completed: count, failed: 0 });
  expect(batch.completed_at).toEqual(expect.any(Number));
  expect(batch.in_progress_at).toEqual(expect.any(Number));
  expect(batch.error_file_id).toBeNull();
  expect(batch.metadata).toEqual({ purpose: 'e2e' });
  expect(batch.usage?.output_tokens).toBeGreaterThan(0);

  const content = await client.files.content(batch.output_file_id!);
  const lines = parseJsonl<{
    id: string;
    custom_id: string;
    response: { status_code: number; request_id: string; body: OpenAI.ChatCompletion };
    error: unknown;
  }>(await content.text());
  expect(lines).toHaveLength(count);
  const ids = lines.map((line) => line.custom_id).sort();
  const expected = Array.from({ length: count }, (_, index) => `request-${index}`).sort();
  expect(ids).toEqual(expected);
  for (const line of lines) {
    expect(line.id).toMatch(/^batch_req_/);
    expect(line.error).toBeNull();
    expect(line.response.status_code).toBe(200);
    expect(line.response.body.object).toBe('chat.completion');
    expect(line.response.body.choices[0]?.message.content).toEqual(expect.any(String));
  }

  const listed = await client.batches.list({ limit: 10 });
  expect(listed.data.map((item) => item.id)).toContain(created.id);
});

test('a file with bad lines fails validation with their line numbers and queues nothing', async () => {
  const good = (id: string) =>
    JSON.stringify({
      custom_id: id,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] },
    });
  const text = [
    good('a'),
    '{not json',
    JSON.stringify({ method: 'POST', url: '/v1/chat/completions', body: {} }),
    good('a'),
    JSON.stringify({ custom_id: 'b', method: 'POST', url: '/v1/embeddings', body: {} }),
    JSON.stringify({
      custom_id: 'c',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'sim-gpt-fast', messages: [], bogus: 1 },
    }),
    good('d'),
  ].join('\n');
  const file = await client.files.create({
    file: await toFile(Buffer.from(text), 'bad.jsonl'),
    purpose: 'batch',
  });
  const created = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  const batch = await waitForBatchEnd(client, created.id);
  expect(batch.status).toBe('failed');
  expect(batch.failed_at).toEqual(expect.any(Number));
  expect(batch.errors?.data?.map((error) => [error.line, error.code])).toEqual([
    [2, 'invalid_json_line'],
    [3, 'missing_custom_id'],
    [4, 'duplicate_custom_id'],
    [5, 'invalid_url'],
    [6, 'invalid_body'],
  ]);
  const lineJobs = await system.redis.keys(`${system.prefix}:prompts-bulk:${created.id}-*`);
  expect(lineJobs).toEqual([]);
});

test('max_tokens and max_completion_tokens together are refused as OpenAI refuses them, by the sync endpoint and in a batch', async () => {
  const body = {
    model: 'sim-gpt-fast',
    messages: [{ role: 'user' as const, content: 'hi' }],
    max_tokens: 5,
    max_completion_tokens: 7,
  };
  const message =
    "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.";
  // OpenAI's 400: invalid_request_error, code invalid_parameter_combination, param max_tokens.
  const sync = await client.chat.completions.create(body).catch((error: unknown) => error);
  expect(sync).toBeInstanceOf(OpenAI.BadRequestError);
  expect(sync).toMatchObject({
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_parameter_combination',
    param: 'max_tokens',
    error: { message },
  });
  const { batch } = await runBatch(client, '/v1/chat/completions', [
    { custom_id: 'both', method: 'POST', url: '/v1/chat/completions', body },
  ]);
  expect(batch.status).toBe('failed');
  expect(batch.errors?.data).toEqual([
    {
      line: 1,
      code: 'invalid_body',
      param: 'body.max_tokens',
      message: `body.max_tokens: ${message}`,
    },
  ]);
});

test('unknown endpoints, unknown files and other tenants are refused with JSON errors', async () => {
  const moderations = await system.request('POST', '/v1/batches', {
    input_file_id: 'file-00000000000000000000000000000000',
    endpoint: '/v1/moderations',
    completion_window: '24h',
  });
  expect(moderations.status).toBe(400);
  expect(moderations.body.error.code).toBe('invalid_request');
  const missing = await system.request('POST', '/v1/batches', {
    input_file_id: 'file-00000000000000000000000000000000',
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  expect(missing.status).toBe(404);
  expect(missing.body.error.code).toBe('file_not_found');
  const unknown = await system.request('GET', '/v1/batches/batch_00000000000000000000000000000000');
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('batch_not_found');
  const anonymous = await fetch(`${system.apiUrl}/v1/files`, { method: 'POST' });
  expect(anonymous.status).toBe(401);
});

// Last in this file: the failures it injects may open sim-gpt-fast's circuit.
test('batch lines run through the same provider stage as jobs: a failing model falls back along its chain', async () => {
  system.simulator.configure({ models: { 'sim-gpt-fast': { faults: { status500: 1 } } } });
  try {
    const count = 5;
    const file = await client.files.create({
      file: await toFile(Buffer.from(batchLines(count, { prefix: 'fallback' })), 'fallback.jsonl'),
      purpose: 'batch',
    });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const batch = await waitForBatchEnd(client, created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: count, completed: count, failed: 0 });
    const lines = parseJsonl<{ custom_id: string; response: { body: OpenAI.ChatCompletion } }>(
      await (await client.files.content(batch.output_file_id!)).text(),
    );
    expect(lines).toHaveLength(count);
    // sim-gpt-fast answers 500 every time: its retries, then the first fallback, answered.
    for (const line of lines) expect(line.response.body.model).toBe('sim-claude-fast');
  } finally {
    system.simulator.configure({ models: { 'sim-gpt-fast': { faults: { status500: 0 } } } });
  }
});

test('a line whose provider call failed with an HTTP status is in the error file as OpenAI writes it', async () => {
  // Every call of sim-gpt-strong refused with a 400 (a model no other test here breaks: a
  // circuit opened by one would fail the line without a call), and the line takes no fallback.
  system.simulator.configure({ models: { 'sim-gpt-strong': { faults: { status400: 1 } } } });
  try {
    const { batch } = await runBatch(client, '/v1/chat/completions', [
      {
        custom_id: 'refused',
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: 'sim-gpt-strong',
          messages: [{ role: 'user', content: 'Hello' }],
          fallbacks: false,
        },
      },
    ]);
    expect(batch.request_counts).toEqual({ total: 1, completed: 0, failed: 1 });
    expect(batch.error_file_id).toEqual(expect.any(String));
    const lines = parseJsonl(await (await client.files.content(batch.error_file_id!)).text());
    // The status and OpenAI's error body in `response`; `error` null (OpenAI's `error` is for
    // requests that failed with a non-HTTP error).
    expect(lines).toEqual([
      httpErrorLine('refused', 400, {
        message: expect.any(String),
        type: 'invalid_request_error',
        param: null,
        code: 'provider_bad_request',
      }),
    ]);
  } finally {
    system.simulator.configure({ models: { 'sim-gpt-strong': { faults: { status400: 0 } } } });
  }
});

test("a line whose output limit is over the model's most is answered in the error file as OpenAI answers it", async () => {
  const line = (customId: string, body: Record<string, unknown>, url = '/v1/chat/completions') => ({
    custom_id: customId,
    method: 'POST',
    url,
    body: { model: 'sim-gpt-fast', ...body },
  });
  const messages = [{ role: 'user', content: 'Hello' }];
  const chat = await runBatch(client, '/v1/chat/completions', [
    line('fits', { messages, max_tokens: 8 }),
    line('max-tokens', { messages, max_tokens: 200_000 }),
    line('max-completion-tokens', { messages, max_completion_tokens: 200_000 }),
  ]);
  const responses = await runBatch(client, '/v1/responses', [
    line('max-output-tokens', { input: 'Hello', max_output_tokens: 200_000 }, '/v1/responses'),
  ]);
  expect(chat.batch.request_counts).toEqual({ total: 3, completed: 1, failed: 2 });
  expect(responses.batch.request_counts).toEqual({ total: 1, completed: 0, failed: 1 });
  const errorLines = async (batch: OpenAI.Batch) => {
    expect(batch.error_file_id).toEqual(expect.any(String));
    return parseJsonl<{ custom_id: string }>(
      await (await client.files.content(batch.error_file_id!)).text(),
    );
  };
  const lines = [...(await errorLines(chat.batch)), ...(await errorLines(responses.batch))];
  expect(lines.map((item) => item.custom_id).sort()).toEqual([
    'max-completion-tokens',
    'max-output-tokens',
    'max-tokens',
  ]);
  // OpenAI's HTTP 400 in `response` (its `error` is for failures without an HTTP answer), with
  // the words, `param` and `code` the sync endpoints answer the same request with.
  for (const item of lines) {
    const field = item.custom_id.replaceAll('-', '_');
    expect(item).toEqual(
      httpErrorLine(item.custom_id, 400, {
        message: `${field} is too large: 200000. This model supports at most 16384 completion tokens, whereas you provided 200000.`,
        type: 'invalid_request_error',
        param: field,
        code: 'invalid_value',
      }),
    );
  }
});
