import Anthropic from '@anthropic-ai/sdk';
import { waitFor } from '@llmq/testing';
import OpenAI from 'openai';
import { apiKey, otherTenantApiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
type BatchParams = Anthropic.Messages.Batches.BatchCreateParams.Request;

let system: System;
let client: Anthropic;
let otherTenant: Anthropic;

beforeAll(async () => {
  system = await startSystem({
    workerEnv: { BULK_WORKER_CONCURRENCY: '4', LANE_LENDING: 'false', RETRY_BASE_DELAY_MS: '20' },
    simulatorModels: {
      // Every call refused with a 400: a line on it ends `errored`, at once (no retry, no fallback).
      'sim-claude-strong': { faults: { status400: 1 } },
      // Slow, so a batch on it is still running when the test cancels it, even on a loaded machine
      // (at 60 ms a 10-request batch had sometimes finished before the cancel reached it in CI).
      'sim-local-llama': { latencyMs: 400 },
    },
  });
  client = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
  otherTenant = new Anthropic({ baseURL: system.apiUrl, apiKey: otherTenantApiKey, maxRetries: 0 });
});

afterAll(async () => {
  await system?.stop();
});

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function request(customId: string, params: Partial<BatchParams['params']> = {}): BatchParams {
  return {
    custom_id: customId,
    params: {
      model: 'sim-claude-fast',
      max_tokens: 32,
      messages: [{ role: 'user', content: `Say something about ${customId}` }],
      ...params,
    },
  };
}

async function waitForEnd(batchId: string) {
  return waitFor(
    async () => {
      const batch = await client.messages.batches.retrieve(batchId);
      return batch.processing_status === 'ended' ? batch : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 100, what: `message batch ${batchId} to end` },
  );
}

async function resultsOf(batchId: string) {
  const results: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
  for await (const line of await client.messages.batches.results(batchId)) results.push(line);
  return results;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

test('create → retrieve → results with the official SDK: succeeded lines (any provider, tools) and an errored one', async () => {
  const toolParams = {
    messages: [{ role: 'user' as const, content: 'Use get_weather for Paris.' }],
    tools: [weatherTool],
    tool_choice: { type: 'tool' as const, name: 'get_weather' },
    max_tokens: 200,
  };
  const { data: created, response } = await client.messages.batches
    .create({
      requests: [
        request('plain'),
        request('on-openai', { model: 'sim-gpt-fast' }),
        request('tool-call', toolParams),
        request('refused', { model: 'sim-claude-strong' }),
      ],
    })
    .withResponse();
  expect(response.headers.get('request-id')).toEqual(expect.any(String));
  expect(created).toEqual({
    id: expect.stringMatching(/^msgbatch_[0-9a-f]{32}$/),
    type: 'message_batch',
    processing_status: 'in_progress',
    request_counts: { processing: 4, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    ended_at: null,
    created_at: expect.stringMatching(rfc3339),
    expires_at: expect.stringMatching(rfc3339),
    archived_at: null,
    cancel_initiated_at: null,
    results_url: null,
  });
  expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(24 * 3600 * 1000);

  const ended = await waitForEnd(created.id);
  expect(ended.request_counts).toEqual({
    processing: 0,
    succeeded: 3,
    errored: 1,
    canceled: 0,
    expired: 0,
  });
  expect(ended.ended_at).toMatch(rfc3339);
  expect(ended.results_url).toBe(`${system.apiUrl}/v1/messages/batches/${created.id}/results`);

  const results = await resultsOf(created.id);
  const byId = new Map(results.map((line) => [line.custom_id, line.result]));
  expect([...byId.keys()].sort()).toEqual(['on-openai', 'plain', 'refused', 'tool-call']);
  expect(results).toHaveLength(4);

  for (const customId of ['plain', 'on-openai']) {
    const result = byId.get(customId);
    if (result?.type !== 'succeeded') throw new Error(`${customId}: ${JSON.stringify(result)}`);
    expect(result.message).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      stop_reason: expect.stringMatching(/^(end_turn|max_tokens)$/),
      content: [{ type: 'text', text: expect.any(String) }],
    });
    expect(result.message.usage.output_tokens).toBeGreaterThan(0);
  }

  // The batch line is answered as `POST /v1/messages` answers the same request.
  const toolResult = byId.get('tool-call');
  if (toolResult?.type !== 'succeeded') throw new Error(JSON.stringify(toolResult));
  const sync = await client.messages.create({ model: 'sim-claude-fast', ...toolParams });
  expect(toolResult.message.stop_reason).toBe('tool_use');
  expect(toolResult.message.stop_reason).toBe(sync.stop_reason);
  expect(toolResult.message.content.map((block) => block.type)).toEqual(
    sync.content.map((block) => block.type),
  );
  const toolUse = toolResult.message.content.find((block) => block.type === 'tool_use');
  expect(toolUse).toMatchObject({
    type: 'tool_use',
    id: expect.stringMatching(/^toolu_/),
    name: 'get_weather',
    input: { city: expect.any(String) },
  });
  expect(toolResult.message.usage).toEqual(sync.usage);
  expect(toolResult.message.model).toBe(sync.model);

  expect(byId.get('refused')).toEqual({
    type: 'errored',
    error: {
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.any(String) },
      request_id: expect.any(String),
    },
  });
});

test("a request whose max_tokens is over the model's most is errored as Anthropic answers it, with a request id", async () => {
  const created = await client.messages.batches.create({
    requests: [request('over-limit', { max_tokens: 100_000 })],
  });
  await waitForEnd(created.id);
  const [line] = await resultsOf(created.id);
  // The words `POST /v1/messages` answers the same request with; Anthropic's `ErrorResponse`.
  expect(line).toEqual({
    custom_id: 'over-limit',
    result: {
      type: 'errored',
      error: {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message:
            'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for sim-claude-fast',
        },
        request_id: expect.any(String),
      },
    },
  });
});

/** Cancels a slow batch of `count` requests once `ready` says so; checks what comes back. */
async function cancelAndCheck(
  prefix: string,
  count: number,
  ready: (batch: Anthropic.Messages.MessageBatch) => boolean,
) {
  const requests = Array.from({ length: count }, (_, index) =>
    request(`${prefix}-${index}`, { model: 'sim-local-llama' }),
  );
  const created = await client.messages.batches.create({ requests });
  await waitFor(
    async () => (ready(await client.messages.batches.retrieve(created.id)) ? true : undefined),
    { timeoutMs: 20_000, intervalMs: 20, what: `message batch ${created.id} to be ready` },
  );
  const cancelling = await client.messages.batches.cancel(created.id);
  expect(cancelling.cancel_initiated_at).toMatch(rfc3339);
  expect(['canceling', 'ended']).toContain(cancelling.processing_status);

  const ended = await waitForEnd(created.id);
  const counts = ended.request_counts;
  expect(counts.canceled).toBeGreaterThan(0);
  expect(counts.succeeded + counts.canceled).toBe(count);
  expect(counts.processing + counts.errored + counts.expired).toBe(0);

  const results = await resultsOf(created.id);
  expect(results.map((line) => line.custom_id).sort()).toEqual(
    requests.map((item) => item.custom_id).sort(),
  );
  const canceled = results.filter((line) => line.result.type === 'canceled');
  expect(canceled).toHaveLength(counts.canceled);
  expect(canceled[0]?.result).toEqual({ type: 'canceled' });
  expect(results.filter((line) => line.result.type === 'succeeded')).toHaveLength(counts.succeeded);
  return { created, counts };
}

test('a cancel mid-run ends the requests not yet started as canceled and keeps the answered ones', async () => {
  const { created, counts } = await cancelAndCheck(
    'mid',
    40,
    (batch) => batch.request_counts.succeeded > 0,
  );
  expect(counts.succeeded).toBeGreaterThan(0);
  // Cancelling an ended batch is refused in Anthropic's error shape.
  await expect(client.messages.batches.cancel(created.id)).rejects.toMatchObject({
    status: 409,
    error: { type: 'error', error: { type: 'invalid_request_error' } },
  });
});

test('a cancel right after create (before any line runs) reports every request canceled', async () => {
  await cancelAndCheck('early', 10, () => true);
});

test('list pages newest first with limit, after_id and before_id; the SDK auto-paginates', async () => {
  const ids: string[] = [];
  for (let index = 0; index < 3; index += 1) {
    const batch = await client.messages.batches.create({ requests: [request(`list-${index}`)] });
    ids.push(batch.id);
    // Distinct creation times, so the order is the creation order.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const newestFirst = [...ids].reverse();

  const first = await client.messages.batches.list({ limit: 2 });
  expect(first.data.map((batch) => batch.id)).toEqual(newestFirst.slice(0, 2));
  expect(first.has_more).toBe(true);
  expect(first.first_id).toBe(newestFirst[0]);
  expect(first.last_id).toBe(newestFirst[1]);

  const after = await client.messages.batches.list({ limit: 1, after_id: newestFirst[1] });
  expect(after.data.map((batch) => batch.id)).toEqual([newestFirst[2]]);

  const before = await client.messages.batches.list({ limit: 5, before_id: newestFirst[2] });
  expect(before.data.map((batch) => batch.id)).toEqual(newestFirst.slice(0, 2));
  expect(before.has_more).toBe(false);

  const all: string[] = [];
  for await (const batch of client.messages.batches.list({ limit: 2 })) all.push(batch.id);
  expect(all.slice(0, 3)).toEqual(newestFirst);
  expect(new Set(all).size).toBe(all.length);

  // OpenAI's batch list is another surface: message batches are not in it.
  const openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const openaiIds = (await openai.batches.list({ limit: 100 })).data.map((batch) => batch.id);
  expect(openaiIds.some((id) => ids.includes(id))).toBe(false);
});

test('another tenant sees none of it: retrieve, results, cancel and delete answer 404, list is empty', async () => {
  const created = await client.messages.batches.create({ requests: [request('mine')] });
  await waitForEnd(created.id);
  const notFound = { status: 404, error: { type: 'error', error: { type: 'not_found_error' } } };
  await expect(otherTenant.messages.batches.retrieve(created.id)).rejects.toMatchObject(notFound);
  await expect(otherTenant.messages.batches.cancel(created.id)).rejects.toMatchObject(notFound);
  await expect(otherTenant.messages.batches.delete(created.id)).rejects.toMatchObject(notFound);
  const results = await system.request(
    'GET',
    `/v1/messages/batches/${created.id}/results`,
    undefined,
    { Authorization: `Bearer ${otherTenantApiKey}` },
  );
  expect(results.status).toBe(404);
  const listed = await otherTenant.messages.batches.list({ limit: 100 });
  expect(listed.data.map((batch) => batch.id)).not.toContain(created.id);
  // Still there for its owner.
  expect((await client.messages.batches.retrieve(created.id)).id).toBe(created.id);
});

test('bad requests are refused with a 400 invalid_request_error naming the request and field', async () => {
  const countBatches = async () =>
    (await client.messages.batches.list({ limit: 1000 })).data.length;
  const before = await countBatches();
  const cases: Array<[BatchParams[], RegExp]> = [
    [
      [
        request('ok'),
        { custom_id: 'no-tokens', params: { ...request('x').params, max_tokens: -1 } },
      ],
      /requests\.1\.params\.max_tokens/,
    ],
    [[request('same'), request('same')], /requests\.1\.custom_id/],
    [[request('has space')], /requests\.0\.custom_id/],
    [[request('a'.repeat(65))], /requests\.0\.custom_id/],
    [[request('unknown-model', { model: 'no-such-model' })], /requests\.0\.params\.model/],
    [[request('tier', { service_tier: 'auto' })], /requests\.0\.params\.service_tier/],
  ];
  for (const [requests, message] of cases) {
    const error = await client.messages.batches.create({ requests }).catch((caught) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(message) },
    });
    expect(error.requestID).toEqual(expect.any(String));
    // Anthropic's `ErrorResponse`: the request id in the body too, the header's value.
    expect(error.error.request_id).toBe(error.requestID);
  }
  // Streaming a batch request, or an empty batch, is refused too.
  const streamed = await system.request('POST', '/v1/messages/batches', {
    requests: [{ custom_id: 's', params: { ...request('s').params, stream: true } }],
  });
  expect(streamed.status).toBe(400);
  expect(streamed.body.error.message).toMatch(/requests\.0\.params\.stream/);
  const empty = await system.request('POST', '/v1/messages/batches', { requests: [] });
  expect(empty.status).toBe(400);
  expect(empty.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  expect(empty.headers.get('request-id')).toEqual(expect.any(String));
  // None of them created a batch.
  expect(await countBatches()).toBe(before);
});

test('an Idempotency-Key returns the same batch; delete works only once it has ended', async () => {
  const body = {
    requests: Array.from({ length: 8 }, (_, index) =>
      request(`idem-${index}`, { model: 'sim-local-llama' }),
    ),
  };
  const headers = { headers: { 'Idempotency-Key': `idem-${Date.now()}` } };
  const first = await client.messages.batches.create(body, headers);
  const { data: again, response } = await client.messages.batches
    .create(body, headers)
    .withResponse();
  expect(again.id).toBe(first.id);
  expect(response.headers.get('idempotent-replayed')).toBe('true');

  // Eight 60 ms lines on four slots: still processing when the delete arrives.
  await expect(client.messages.batches.delete(first.id)).rejects.toMatchObject({
    status: 400,
    error: { type: 'error', error: { type: 'invalid_request_error' } },
  });
  await waitForEnd(first.id);
  const deleted = await client.messages.batches.delete(first.id);
  expect(deleted).toEqual({ id: first.id, type: 'message_batch_deleted' });
  await expect(client.messages.batches.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
  const listed = await client.messages.batches.list({ limit: 1000 });
  expect(listed.data.map((batch) => batch.id)).not.toContain(first.id);
});
