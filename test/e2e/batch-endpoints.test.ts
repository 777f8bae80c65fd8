/**
 * `/v1/embeddings` and `/v1/completions` batches through the API, Redis, a real worker and the
 * simulator, driven with the official `openai` client. The simulator's call log proves
 * micro-batching happened (fewer calls than lines); comparing every output line with the
 * model's own answer for that line's input proves each answer reached the right custom_id.
 */
import { loadModelCatalog, toNanoUsd } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import OpenAI from 'openai';
import { httpErrorLine, parseJsonl, runBatch as runBatchWith } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

let system: System;
let client: OpenAI;
const adminKey = 'e2e-admin-key-for-endpoint-lines-01';

beforeAll(async () => {
  system = await startSystem({
    // Enough lines in flight per worker for micro-batches of 16 to fill.
    // One attempt per line: the parking test proves a long Retry-After spends none.
    env: { JOB_ATTEMPTS: '1' },
    apiEnv: { ADMIN_API_KEY: adminKey },
    workerEnv: {
      BULK_WORKER_CONCURRENCY: '64',
      RETRY_BASE_DELAY_MS: '20',
      RETRY_MAX_INLINE_WAIT_MS: '100',
    },
  });
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
});

afterAll(async () => {
  await system?.stop();
});

async function runBatch(endpoint: '/v1/embeddings' | '/v1/completions', lines: object[]) {
  const { created, batch } = await runBatchWith(client, endpoint, lines);
  expect(created.endpoint).toBe(endpoint);
  return batch;
}

async function outputLines<Body>(fileId: string | null | undefined) {
  if (!fileId) throw new Error('the batch has no output file');
  const content = await client.files.content(fileId);
  return parseJsonl<{
    custom_id: string;
    response: { status_code: number; body: Body };
    error: unknown;
  }>(await content.text());
}

/** Calls the simulator's model routes logged for `route` since the last reset. */
function callsTo(route: string) {
  return system.simulator.counters().recent.filter((call) => call.route === route);
}

test('an embeddings batch: micro-batched calls, OpenAI-shaped lines, each vector on its own custom_id', async () => {
  system.simulator.reset();
  const count = 64;
  const inputsOf = (index: number) =>
    index % 8 === 0 ? [`text ${index} a`, `text ${index} b`] : `text number ${index}`;
  const lines = Array.from({ length: count }, (_, index) => ({
    custom_id: `emb-${index}`,
    method: 'POST',
    url: '/v1/embeddings',
    body: {
      model: 'sim-embed-small',
      input: inputsOf(index),
      ...(index === 3 ? { encoding_format: 'base64' } : {}),
    },
  }));
  const batch = await runBatch('/v1/embeddings', lines);
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: count, completed: count, failed: 0 });

  const calls = callsTo('/v1/embeddings');
  const inputs = lines.reduce(
    (sum, line) => sum + (Array.isArray(line.body.input) ? line.body.input.length : 1),
    0,
  );
  expect(calls.reduce((sum, call) => sum + call.inputCount, 0)).toBe(inputs);
  // Micro-batching happened: far fewer provider calls than lines.
  expect(calls.length).toBeLessThanOrEqual(count / 4);
  expect(Math.max(...calls.map((call) => call.inputCount))).toBeGreaterThan(1);
  const billed = system.simulator.counters().inputTokens;

  const output = await outputLines<OpenAI.CreateEmbeddingResponse>(batch.output_file_id);
  expect(output.map((line) => line.custom_id).sort()).toEqual(
    lines.map((line) => line.custom_id).sort(),
  );
  const direct = new OpenAI({ baseURL: `${system.simulator.url}/v1`, apiKey: 'x', maxRetries: 0 });
  let tokens = 0;
  for (const line of output) {
    const index = Number(line.custom_id.slice('emb-'.length));
    expect(line.error).toBeNull();
    expect(line.response.status_code).toBe(200);
    const body = line.response.body;
    expect(body).toMatchObject({ object: 'list', model: 'sim-embed-small' });
    tokens += body.usage.prompt_tokens;
    const input = inputsOf(index);
    expect(body.data.map((item) => item.index)).toEqual(
      (Array.isArray(input) ? input : [input]).map((_, position) => position),
    );
    if (index === 3) {
      expect(typeof body.data[0]?.embedding).toBe('string');
      continue;
    }
    // The vectors are the model's own answer for THIS line's input.
    const expected = await direct.embeddings.create({ model: 'sim-embed-small', input });
    expect(body.data.map((item) => item.embedding)).toEqual(
      expected.data.map((item) => item.embedding),
    );
  }
  // Each line carries its share of the calls' tokens; the shares add up to what was billed.
  expect(tokens).toBe(billed);
  expect(batch.usage?.input_tokens).toBe(billed);
});

test('a completions batch: prompt arrays per call, one text_completion per custom_id', async () => {
  system.simulator.reset();
  const count = 48;
  const lines = Array.from({ length: count }, (_, index) => ({
    custom_id: `cmpl-${index}`,
    method: 'POST',
    url: '/v1/completions',
    body: {
      model: 'sim-gpt-instruct',
      prompt: index === 5 ? ['echo: first five', 'echo: second five'] : `echo: word ${index}`,
      max_tokens: 20,
      temperature: 0,
    },
  }));
  const batch = await runBatch('/v1/completions', lines);
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: count, completed: count, failed: 0 });
  const calls = callsTo('/v1/completions');
  expect(calls.reduce((sum, call) => sum + call.inputCount, 0)).toBe(count + 1);
  expect(calls.length).toBeLessThanOrEqual(count / 4);

  const output = await outputLines<OpenAI.Completion>(batch.output_file_id);
  expect(output).toHaveLength(count);
  for (const line of output) {
    const index = Number(line.custom_id.slice('cmpl-'.length));
    const body = line.response.body;
    expect(body).toMatchObject({ object: 'text_completion', model: 'sim-gpt-instruct' });
    expect(body.usage?.total_tokens).toBe(
      (body.usage?.prompt_tokens ?? 0) + (body.usage?.completion_tokens ?? 0),
    );
    const texts = body.choices.map((choice) => [choice.index, choice.text, choice.finish_reason]);
    expect(texts).toEqual(
      index === 5
        ? [
            [0, 'first five', 'stop'],
            [1, 'second five', 'stop'],
          ]
        : [[0, `word ${index}`, 'stop']],
    );
  }
  const counters = system.simulator.counters();
  expect(batch.usage?.input_tokens).toBe(counters.inputTokens);
  expect(batch.usage?.output_tokens).toBe(counters.outputTokens);
});

test('bad embeddings and completions lines fail validation with their line numbers', async () => {
  const embeddings = await runBatch('/v1/embeddings', [
    {
      custom_id: 'a',
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'sim-embed-small', input: 'ok' },
    },
    {
      custom_id: 'b',
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'sim-gpt-fast', input: 'x' },
    },
    {
      custom_id: 'c',
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'sim-embed-small', input: [[1, 2]] },
    },
    {
      custom_id: 'd',
      method: 'POST',
      url: '/v1/completions',
      body: { model: 'sim-embed-small', input: 'x' },
    },
  ]);
  expect(embeddings.status).toBe('failed');
  expect(embeddings.errors?.data?.map((error) => [error.line, error.code, error.param])).toEqual([
    [2, 'unsupported_model', 'body.model'],
    [3, 'invalid_body', 'body.input'],
    [4, 'invalid_url', 'url'],
  ]);
  const completions = await runBatch('/v1/completions', [
    {
      custom_id: 'a',
      method: 'POST',
      url: '/v1/completions',
      body: { model: 'sim-gpt-instruct', prompt: 'x', n: 3 },
    },
    {
      custom_id: 'b',
      method: 'POST',
      url: '/v1/completions',
      body: { model: 'sim-gpt-instruct', prompt: 'ok' },
    },
  ]);
  expect(completions.status).toBe('failed');
  expect(completions.errors?.data?.map((error) => [error.line, error.code, error.param])).toEqual([
    [1, 'invalid_body', 'body.n'],
  ]);
});

test('a long Retry-After parks the lines of a micro-batched call without spending their one attempt', async () => {
  system.simulator.reset();
  system.simulator.configure({
    models: { 'sim-embed-small': { faults: { status429: 1, retryAfterSeconds: 1 } } },
  });
  const lines = Array.from({ length: 8 }, (_, index) => ({
    custom_id: `park-${index}`,
    method: 'POST',
    url: '/v1/embeddings',
    body: { model: 'sim-embed-small', input: `parked ${index}` },
  }));
  const finished = runBatch('/v1/embeddings', lines);
  await waitFor(
    async () => ((system.simulator.counters().byStatus['429'] ?? 0) > 0 ? true : undefined),
    { timeoutMs: 10_000, intervalMs: 20, what: 'the first 429' },
  );
  // The model recovers while the lines wait out their Retry-After in the delayed set.
  system.simulator.configure({ models: { 'sim-embed-small': { faults: { status429: 0 } } } });
  const batch = await finished;
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: 8, completed: 8, failed: 0 });
  const calls = callsTo('/v1/embeddings');
  expect(calls.filter((call) => call.status === 429).length).toBeGreaterThan(0);
  expect(
    calls.filter((call) => call.status === 200).reduce((sum, call) => sum + call.inputCount, 0),
  ).toBe(8);
});

test('a failed call fails each of its lines into the error file with the provider status', async () => {
  system.simulator.reset();
  system.simulator.configure({ models: { 'sim-gpt-instruct': { faults: { status400: 1 } } } });
  const lines = Array.from({ length: 6 }, (_, index) => ({
    custom_id: `bad-${index}`,
    method: 'POST',
    url: '/v1/completions',
    body: { model: 'sim-gpt-instruct', prompt: `prompt ${index}` },
  }));
  const batch = await runBatch('/v1/completions', lines);
  system.simulator.reset();
  expect(batch.status).toBe('completed');
  expect(batch.request_counts).toEqual({ total: 6, completed: 0, failed: 6 });
  const errors = await outputLines<unknown>(batch.error_file_id);
  expect(errors.map((line) => line.custom_id).sort()).toEqual(
    lines.map((line) => line.custom_id).sort(),
  );
  // As OpenAI writes an HTTP failure: the status and its error body in `response`, `error` null
  // (OpenAI's `error` is for failures without an HTTP answer).
  for (const line of errors)
    expect(line).toEqual(
      httpErrorLine(line.custom_id, 400, {
        message: expect.any(String),
        type: 'invalid_request_error',
        param: null,
        code: 'provider_bad_request',
      }),
    );
});

test('the ledger bills each line its share, and a hard budget reservation is released exactly', async () => {
  system.simulator.reset();
  const admin = { Authorization: `Bearer ${adminKey}` };
  const before = await system.request('GET', '/v1/usage?group_by=model');
  const spentBefore = (model: string): number =>
    before.body.data.find((row: { model: string }) => row.model === model)?.cost_nano_usd ?? 0;
  // A hard budget makes ingest reserve each line's worst case and each line release its part.
  const put = await system.request(
    'PUT',
    '/v1/admin/tenants/e2e/budget',
    { daily_hard_usd: 100 },
    admin,
  );
  expect(put.status).toBe(200);
  try {
    const embeddings = await runBatch(
      '/v1/embeddings',
      Array.from({ length: 20 }, (_, index) => ({
        custom_id: `cost-e-${index}`,
        method: 'POST',
        url: '/v1/embeddings',
        body: { model: 'sim-embed-small', input: `what does line ${index} cost?` },
      })),
    );
    const completions = await runBatch(
      '/v1/completions',
      Array.from({ length: 20 }, (_, index) => ({
        custom_id: `cost-c-${index}`,
        method: 'POST',
        url: '/v1/completions',
        body: { model: 'sim-gpt-instruct', prompt: `echo: cost ${index}`, max_tokens: 16 },
      })),
    );
    expect([embeddings.status, completions.status]).toEqual(['completed', 'completed']);
    const catalog = loadModelCatalog();
    const priced = (model: string, input: number, output: number) => {
      const entry = catalog.resolve(model);
      if (!entry) throw new Error(`no ${model}`);
      return toNanoUsd((input * entry.pricing.input + output * entry.pricing.output) / 1e6);
    };
    const embeddingLines = await outputLines<OpenAI.CreateEmbeddingResponse>(
      embeddings.output_file_id,
    );
    const completionLines = await outputLines<OpenAI.Completion>(completions.output_file_id);
    const expectedEmbeddings = embeddingLines.reduce(
      (sum, line) => sum + priced('sim-embed-small', line.response.body.usage.prompt_tokens, 0),
      0,
    );
    const expectedCompletions = completionLines.reduce(
      (sum, line) =>
        sum +
        priced(
          'sim-gpt-instruct',
          line.response.body.usage?.prompt_tokens ?? 0,
          line.response.body.usage?.completion_tokens ?? 0,
        ),
      0,
    );
    // Every reservation was replaced by what the lines cost.
    await waitFor(
      async () => {
        const { body } = await system.request(
          'GET',
          '/v1/admin/tenants/e2e/budget',
          undefined,
          admin,
        );
        return body.reserved_usd === 0 ? body : undefined;
      },
      { timeoutMs: 10_000, what: 'every line to release its reservation' },
    );
    const after = await system.request('GET', '/v1/usage?group_by=model');
    const row = (model: string) =>
      after.body.data.find((item: { model: string }) => item.model === model);
    expect(row('sim-embed-small').cost_nano_usd - spentBefore('sim-embed-small')).toBe(
      expectedEmbeddings,
    );
    expect(row('sim-gpt-instruct').cost_nano_usd - spentBefore('sim-gpt-instruct')).toBe(
      expectedCompletions,
    );
  } finally {
    await system.request('DELETE', '/v1/admin/tenants/e2e/budget', undefined, admin);
  }
});

test('chat lines with model "auto" are routed per line; the usage report shows where they went', async () => {
  const admin = { Authorization: `Bearer ${adminKey}` };
  const before = await system.request('GET', '/v1/usage?group_by=model');
  const spentBefore = (model: string): number =>
    before.body.data.find((row: { model: string }) => row.model === model)?.cost_nano_usd ?? 0;
  // A hard budget: ingest reserves each auto line's worst case on the model it routes to, and
  // each line releases exactly that share when it ends.
  const put = await system.request(
    'PUT',
    '/v1/admin/tenants/e2e/budget',
    { daily_hard_usd: 100 },
    admin,
  );
  expect(put.status).toBe(200);
  try {
    // Short prompts asking for speed go to the quickest fast-tier model; reasoning cues and
    // steps go to the strong tier.
    const simple = (index: number) => ({
      messages: [{ role: 'user', content: `echo: short ${index}` }],
      requirements: { low_latency: true },
    });
    const hard = (index: number) => ({
      messages: [
        {
          role: 'user',
          content: `echo: analyze and compare the trade-offs of plan ${index}, explain step by step: first the costs, then the risks`,
        },
      ],
    });
    const lines = Array.from({ length: 10 }, (_, index) => ({
      custom_id: `auto-${index}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'auto', max_tokens: 64, ...(index % 2 === 0 ? simple(index) : hard(index)) },
    }));
    const { batch } = await runBatchWith(client, '/v1/chat/completions', lines);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
    const output = await outputLines<OpenAI.ChatCompletion>(batch.output_file_id);
    const modelsOf = (indexes: number[]) =>
      new Set(
        indexes.map(
          (index) => output.find((line) => line.custom_id === `auto-${index}`)?.response.body.model,
        ),
      );
    const catalog = loadModelCatalog();
    const tierOf = (model: string | undefined) => catalog.resolve(model ?? '')?.tier;
    const simpleModels = [...modelsOf([0, 2, 4, 6, 8])];
    const hardModels = [...modelsOf([1, 3, 5, 7, 9])];
    expect(simpleModels).toHaveLength(1);
    expect(hardModels).toHaveLength(1);
    expect(tierOf(simpleModels[0])).toBe('fast');
    expect(tierOf(hardModels[0])).toBe('strong');

    await waitFor(
      async () => {
        const { body } = await system.request(
          'GET',
          '/v1/admin/tenants/e2e/budget',
          undefined,
          admin,
        );
        return body.reserved_usd === 0 ? body : undefined;
      },
      { timeoutMs: 10_000, what: 'every auto line to release its reservation' },
    );
    // The usage report books the spend under the routed models, never under "auto".
    const after = await system.request('GET', '/v1/usage?group_by=model');
    const grew = after.body.data
      .filter(
        (row: { model: string; cost_nano_usd: number }) =>
          row.cost_nano_usd > spentBefore(row.model),
      )
      .map((row: { model: string }) => row.model)
      .sort();
    expect(grew).toEqual([simpleModels[0], hardModels[0]].sort());
  } finally {
    await system.request('DELETE', '/v1/admin/tenants/e2e/budget', undefined, admin);
  }
});
