import { RedisKeys } from '@llmq/core';
import { Cluster, type Redis } from 'ioredis';
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { parseJsonl, runBatch } from './batch-helpers';
import { apiKey, otherTenantApiKey, startSystem } from './system-harness';

/**
 * The official `openai` client against `POST /v1/responses` and its sibling routes, with real
 * API and worker processes and the simulator (issue #17).
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let openai: OpenAI;

/** A model paced slowly enough that a stream arrives as many deltas over a second or two. */
const slowModel = 'sim-gpt-strong';
/** A model whose non-streamed answers take seconds. */
const lateModel = 'sim-claude-strong';
const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike';

beforeAll(async () => {
  system = await startSystem({
    workers: 1,
    simulatorModels: {
      [slowModel]: { tokensPerSecond: 60 },
      // Answers a non-streamed call after 5 s: time to cancel it mid-call.
      [lateModel]: { latencyMs: 5000 },
    },
  });
  openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};

async function settle(id: string): Promise<OpenAI.Responses.Response> {
  for (let poll = 0; poll < 200; poll += 1) {
    const response = await openai.responses.retrieve(id);
    if (response.status !== 'queued' && response.status !== 'in_progress') return response;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`response ${id} did not settle`);
}

/** The bytes Redis holds for the keys starting with `prefix` (values and their overhead). */
async function bytesUnder(prefix: string): Promise<number> {
  // On a cluster (npm run test:cluster) each master is scanned: keys live on one of them.
  const client = system.redis as Redis | Cluster;
  let total = 0;
  for (const node of client instanceof Cluster ? client.nodes('master') : [client]) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of found) total += (await node.memory('USAGE', key)) ?? 0;
    } while (cursor !== '0');
  }
  return total;
}

describe('the official openai client against /v1/responses', () => {
  it('creates a plain response through a worker, and reads it and its input back', async () => {
    const { data, response } = await openai.responses
      .create({
        model: 'sim-gpt-fast',
        instructions: 'You repeat what you are told.',
        input: 'echo: hello from responses',
        metadata: { ticket: 'T-1' },
      })
      .withResponse();
    expect(data.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('hello from responses');
    expect(data.output).toEqual([
      expect.objectContaining({
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [
          { type: 'output_text', text: 'hello from responses', annotations: [], logprobs: [] },
        ],
      }),
    ]);
    expect(data.usage?.input_tokens).toBeGreaterThan(0);
    expect(data.usage?.output_tokens).toBeGreaterThan(0);
    expect(data.metadata).toEqual({ ticket: 'T-1' });
    expect(data.instructions).toBe('You repeat what you are told.');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.headers.get('x-llmq-job-id')).toBe(data.id.replace('resp_', 'job_'));

    const again = await openai.responses.retrieve(data.id);
    expect(again.output_text).toBe('hello from responses');
    expect(again.output).toEqual(data.output);

    const items = await openai.responses.inputItems.list(data.id);
    expect(items.data).toEqual([
      expect.objectContaining({
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'echo: hello from responses' }],
      }),
    ]);

    // The job behind it says it came through the Responses API (for `response.*` webhooks).
    const jobId = data.id.replace('resp_', 'job_');
    expect(await system.redis.hget(`${system.prefix}:job:${jobId}`, 'surface')).toBe('responses');
  });

  it('runs a two-step function-calling loop', async () => {
    const input: OpenAI.Responses.ResponseInput = [
      { role: 'user', content: 'Use get_weather for Paris.' },
    ];
    const first = await openai.responses.create({
      model: 'sim-gpt-fast',
      input,
      tools: [weatherTool],
    });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toBeDefined();
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toEqual({ city: expect.any(String) });
    expect(call.call_id).toBeTruthy();

    const second = await openai.responses.create({
      model: 'sim-gpt-fast',
      input: [
        ...input,
        call,
        { type: 'function_call_output', call_id: call.call_id, output: 'sunny in Paris' },
      ],
      tools: [weatherTool],
    });
    expect(second.status).toBe('completed');
    expect(second.output_text).toContain('get_weather returned');
    expect(second.output_text).toContain('sunny in Paris');
  });

  it('answers in a JSON schema, parsed by responses.parse with zodTextFormat', async () => {
    const City = z.object({ name: z.string(), population: z.number().int() });
    const parsed = await openai.responses.parse({
      model: 'sim-gpt-fast',
      input: 'Describe a city.',
      text: { format: zodTextFormat(City, 'city') },
    });
    expect(parsed.status).toBe('completed');
    expect(City.safeParse(parsed.output_parsed).success).toBe(true);
    expect(parsed.text?.format).toEqual(
      expect.objectContaining({ type: 'json_schema', name: 'city' }),
    );
  });

  it('streams the exact event sequence, numbered from 0 with no gap', async () => {
    const stream = await openai.responses.create({
      model: slowModel,
      input: `echo: ${words}`,
      stream: true,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const types = events.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = events.flatMap((event) =>
      event.type === 'response.output_text.delta' ? [event.delta] : [],
    );
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(words);
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    expect(completed.response.usage?.output_tokens).toBeGreaterThan(0);
    // `output_text` is the SDK's own addition to a final response, not on the wire.
    expect(completed.response.output).toEqual([
      expect.objectContaining({ content: [expect.objectContaining({ text: words })] }),
    ]);
  });

  it('streams a function call with its argument deltas', async () => {
    const stream = openai.responses.stream({
      model: 'sim-gpt-fast',
      input: 'Use get_weather for Paris.',
      tools: [weatherTool],
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({
      city: expect.any(String),
    });
    expect(types).toContain('response.function_call_arguments.delta');
    expect(types).toContain('response.function_call_arguments.done');
    expect(types.at(-1)).toBe('response.completed');
  });

  it('answers background: true at once, queued, then completes when polled', async () => {
    const created = await openai.responses.create({
      model: 'sim-gpt-fast',
      input: 'echo: in the background',
      background: true,
    });
    expect(created.background).toBe(true);
    expect(['queued', 'in_progress']).toContain(created.status);
    expect(created.output).toEqual([]);
    const done = await settle(created.id);
    expect(done.status).toBe('completed');
    expect(done.output_text).toBe('in the background');
  });

  it('cancels a background response mid-answer', async () => {
    const slow = await openai.responses.create({
      model: lateModel,
      input: 'echo: too late',
      background: true,
    });
    // Cancelled while its worker calls the model (or before it starts): it never completes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelled = await openai.responses.cancel(slow.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await openai.responses.retrieve(slow.id)).status).toBe('cancelled');

    // A finished response cannot be cancelled; a response that is not background neither.
    const done = await openai.responses.create({ model: 'sim-gpt-fast', input: 'echo: done' });
    await expect(openai.responses.cancel(done.id)).rejects.toMatchObject({ status: 400 });
    const finished = await settle(
      (await openai.responses.create({ model: 'sim-gpt-fast', input: 'echo: x', background: true }))
        .id,
    );
    await expect(openai.responses.cancel(finished.id)).rejects.toMatchObject({ status: 409 });
  });

  it('resumes a stream cut mid-way with the SDK helper, every event seen once', async () => {
    // Long enough (about a second) that the resumed stream mostly follows the job live.
    const long = `${words} ${words} ${words}`;
    const first = openai.responses.stream({
      model: slowModel,
      input: `echo: ${long}`,
      background: true,
    });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    let responseId: string | undefined;
    for await (const event of first) {
      seen.push(event);
      if (event.type === 'response.created') responseId = event.response.id;
      if (event.type === 'response.output_text.delta' && seen.length >= 6) break; // the cut
    }
    expect(responseId).toBeDefined();
    const cutAt = seen.at(-1)?.sequence_number ?? -1;
    expect(cutAt).toBeGreaterThan(3);

    const resumed = openai.responses.stream({
      response_id: String(responseId),
      starting_after: cutAt,
    });
    for await (const event of resumed) seen.push(event);
    const final = await resumed.finalResponse();

    expect(seen.map((event) => event.sequence_number)).toEqual(seen.map((_, index) => index));
    expect(seen.at(-1)?.type).toBe('response.completed');
    const text = seen
      .flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : []))
      .join('');
    expect(text).toBe(long);
    expect(final.output_text).toBe(long);
    expect((await openai.responses.retrieve(String(responseId))).status).toBe('completed');
  });

  it('continues a conversation on a Claude-style model with previous_response_id alone', async () => {
    const first = await openai.responses.create({
      model: 'sim-claude-fast',
      input: 'Use get_weather for Paris.',
      tools: [weatherTool],
    });
    const call = first.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    // Anthropic takes a tool result only right after the assistant turn that called the tool:
    // the simulator refuses it otherwise, so this passes only if llmq sent the first turn.
    const second = await openai.responses.create({
      model: 'sim-claude-fast',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny in Paris' }],
      tools: [weatherTool],
    });
    expect(second.status).toBe('completed');
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text).toContain('sunny in Paris');
    expect(second.usage?.input_tokens).toBeGreaterThan(first.usage?.input_tokens ?? 0);
  });

  it('stores a conversation per turn: 50 turns store linearly many bytes, not quadratically', async () => {
    const storedBytes = () => bytesUnder(`${system.prefix}:response`);
    const before = await storedBytes();
    // About a kilobyte a turn, echoed back: each turn adds ~2 KB to the conversation.
    const line = (turn: number) => `echo: turn ${turn} ${words} ${words} `.repeat(6);
    let previous: string | undefined;
    let afterTen = 0;
    for (let turn = 1; turn <= 50; turn += 1) {
      const created: OpenAI.Responses.Response = await openai.responses.create({
        model: 'sim-gpt-fast',
        input: line(turn),
        ...(previous ? { previous_response_id: previous } : {}),
      });
      expect(created.status).toBe('completed');
      previous = created.id;
      if (turn === 10) afterTen = (await storedBytes()) - before;
    }
    const afterFifty = (await storedBytes()) - before;
    // Per turn: 5× the bytes of 10 turns. Whole conversations per turn: ~23× (50·51 / 10·11).
    expect(afterFifty / afterTen).toBeGreaterThan(4);
    expect(afterFifty / afterTen).toBeLessThan(8);
    // The last turn was sent the whole conversation: it counted every earlier turn's tokens.
    const last = await openai.responses.retrieve(previous ?? '');
    expect(last.usage?.input_tokens).toBeGreaterThan(50 * 100);
  });

  it('continues a response stored in the old shape (its whole conversation in one object)', async () => {
    const first = await openai.responses.create({
      model: 'sim-claude-fast',
      input: 'Use get_weather for Paris.',
      tools: [weatherTool],
    });
    const call = first.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    // Rewrite it as a deployed llmq before per-turn storage kept it: no turn key, and the
    // stored object holding the conversation up to its answer.
    const keys = new RedisKeys(system.prefix);
    const turnKey = keys.storedResponseTurn('e2e', first.id);
    const objectKey = keys.storedResponse('e2e', first.id);
    const messages = JSON.parse((await system.redis.hget(turnKey, 'messages')) ?? 'null');
    expect(messages).toEqual([{ role: 'user', content: 'Use get_weather for Paris.' }]);
    const object = JSON.parse((await system.redis.get(objectKey)) ?? 'null');
    await system.redis.set(objectKey, JSON.stringify({ ...object, conversation: messages }));
    await system.redis.del(turnKey);

    // Anthropic takes a tool result only right after the assistant turn that called the tool.
    const second = await openai.responses.create({
      model: 'sim-claude-fast',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny in Paris' }],
      tools: [weatherTool],
    });
    expect(second.output_text).toContain('sunny in Paris');
    const third = await openai.responses.create({
      model: 'sim-claude-fast',
      previous_response_id: second.id,
      input: 'echo: still here',
      tools: [weatherTool],
    });
    expect(third.status).toBe('completed');
    expect(third.usage?.input_tokens).toBeGreaterThan(second.usage?.input_tokens ?? 0);
  });

  it('continues a response whose previous response was deleted, which stays deleted', async () => {
    const first = await openai.responses.create({ model: 'sim-gpt-fast', input: 'echo: one' });
    const middle = await openai.responses.create({
      model: 'sim-gpt-fast',
      previous_response_id: first.id,
      input: 'echo: two',
    });
    const last = await openai.responses.create({
      model: 'sim-gpt-fast',
      previous_response_id: middle.id,
      input: 'echo: three',
    });
    await openai.responses.delete(middle.id);
    await expect(openai.responses.retrieve(middle.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      openai.responses.create({
        model: 'sim-gpt-fast',
        previous_response_id: middle.id,
        input: 'x',
      }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const next = await openai.responses.create({
      model: 'sim-gpt-fast',
      previous_response_id: last.id,
      input: 'echo: four',
    });
    expect(next.status).toBe('completed');
    expect(next.usage?.input_tokens).toBeGreaterThan(last.usage?.input_tokens ?? 0);
  });

  it("answers 404 in OpenAI's shape for an unknown or another tenant's response, and an unknown model", async () => {
    const mine = await openai.responses.create({ model: 'sim-gpt-fast', input: 'echo: mine' });
    const other = new OpenAI({
      baseURL: `${system.apiUrl}/v1`,
      apiKey: otherTenantApiKey,
      maxRetries: 0,
    });
    await expect(other.responses.retrieve(mine.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      other.responses.create({ model: 'sim-gpt-fast', previous_response_id: mine.id, input: 'hi' }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(openai.responses.retrieve(`resp_${'0'.repeat(32)}`)).rejects.toMatchObject({
      status: 404,
      error: { type: 'invalid_request_error' },
    });
    await expect(
      openai.responses.create({ model: 'no-such-model', input: 'hi' }),
    ).rejects.toMatchObject({ status: 404, error: { code: 'model_not_found' } });
  });

  it('deletes a response, and refuses an unsupported field by name', async () => {
    const created = await openai.responses.create({ model: 'sim-gpt-fast', input: 'echo: bye' });
    await expect(
      openai.responses.retrieve(created.id, { include: ['file_search_call.results'] }),
    ).rejects.toMatchObject({ status: 400, error: { code: 'unsupported_parameter' } });
    await openai.responses.delete(created.id);
    await expect(openai.responses.retrieve(created.id)).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    await expect(
      openai.responses.create({ model: 'sim-gpt-fast', input: 'hi', truncation: 'auto' }),
    ).rejects.toMatchObject({ status: 400, error: { code: 'unsupported_parameter' } });
  });

  it('does not keep a response created with store: false', async () => {
    const created = await openai.responses.create({
      model: 'sim-gpt-fast',
      input: 'echo: forget me',
      store: false,
    });
    expect(created.output_text).toBe('forget me');
    // llmq echoes `store` as OpenAI does (the SDK's type leaves it out).
    const echoed: { id: string; store?: unknown } = created;
    expect(echoed.store).toBe(false);
    await expect(openai.responses.retrieve(created.id)).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });

  it('runs batch lines with url /v1/responses, each answered as a response object', async () => {
    const lines = [
      { model: 'sim-gpt-fast', input: 'echo: batch one', instructions: 'Repeat.' },
      { model: 'sim-claude-fast', input: 'Use get_weather for Paris.', tools: [weatherTool] },
    ].map((body, index) => ({
      custom_id: `r-${index}`,
      method: 'POST',
      url: '/v1/responses',
      body,
    }));
    const { created, batch } = await runBatch(openai, '/v1/responses', lines);
    expect(created.endpoint).toBe('/v1/responses');
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    const content = await openai.files.content(String(batch.output_file_id));
    const output = parseJsonl<{
      custom_id: string;
      response: { status_code: number; body: OpenAI.Responses.Response };
    }>(await content.text());
    const byId = new Map(output.map((line) => [line.custom_id, line.response]));
    const first = byId.get('r-0');
    expect(first?.status_code).toBe(200);
    expect(first?.body).toEqual(
      expect.objectContaining({
        id: expect.stringMatching(/^resp_/),
        object: 'response',
        status: 'completed',
        instructions: 'Repeat.',
        output: [
          expect.objectContaining({
            type: 'message',
            content: [expect.objectContaining({ type: 'output_text', text: 'batch one' })],
          }),
        ],
        usage: expect.objectContaining({ input_tokens: expect.any(Number) }),
      }),
    );
    expect(byId.get('r-1')?.body.output).toEqual([
      expect.objectContaining({ type: 'function_call', name: 'get_weather' }),
    ]);
  });
});
