import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, collect, openAiClient } from '../test-support/sdk-clients';

const chatRequest = {
  model: 'sim-gpt-fast',
  messages: [{ role: 'user' as const, content: 'Hello there' }],
};
const messageRequest = {
  model: 'sim-claude-fast',
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Hello there' }],
};
const fault = (name: string, extra: Record<string, string> = {}) => ({
  headers: { 'x-sim-fault': name, ...extra },
});

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('fault injection', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator();
  });

  afterEach(async () => {
    await simulator.close();
  });

  it("answers a model with Mistral's error shape in Mistral's top-level error body", async () => {
    simulator.configure({ models: { 'sim-mistral': { capabilities: { errorShape: 'mistral' } } } });
    const post = (headers: Record<string, string>) =>
      fetch(`${simulator.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer x', 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ...chatRequest, model: 'sim-mistral' }),
      });
    const limited = await post({ 'x-sim-fault': '429' });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      object: 'error',
      message: expect.stringContaining('rate limit'),
      type: 'rate_limited',
      param: null,
      code: '1300',
      raw_status_code: 429,
    });
    const failed = await post({ 'x-sim-fault': '500' });
    expect(await failed.json()).toMatchObject({ object: 'error', type: 'internal_server_error' });
  });

  it('answers x-sim-fault: 429 with retry-after and x-ratelimit headers', async () => {
    const error = await caught(
      openAiClient(simulator).chat.completions.create(
        chatRequest,
        fault('429', { 'x-sim-retry-after': '2' }),
      ),
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimitError = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimitError.code).toBe('rate_limit_exceeded');
    const headers = rateLimitError.headers;
    expect(headers.get('retry-after')).toBe('2');
    expect(headers.get('retry-after-ms')).toBe('2000');
    for (const name of ['requests', 'tokens']) {
      expect(headers.get(`x-ratelimit-limit-${name}`)).toMatch(/^\d+$/);
      expect(headers.get(`x-ratelimit-remaining-${name}`)).toBe('0');
      expect(headers.get(`x-ratelimit-reset-${name}`)).toBe('2s');
    }
    expect(headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('answers status faults in each provider format', async () => {
    const openAi = openAiClient(simulator);
    await expect(openAi.chat.completions.create(chatRequest, fault('500'))).rejects.toBeInstanceOf(
      OpenAI.InternalServerError,
    );
    await expect(openAi.chat.completions.create(chatRequest, fault('400'))).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    await expect(openAi.chat.completions.create(chatRequest, fault('401'))).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    const unavailable = await caught(openAi.chat.completions.create(chatRequest, fault('503')));
    expect(unavailable).toMatchObject({ status: 503 });
    expect((unavailable as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe(
      '1',
    );

    const overloaded = await caught(
      anthropicClient(simulator).messages.create(messageRequest, fault('529')),
    );
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect(overloaded).toMatchObject({
      status: 529,
      error: { type: 'error', error: { type: 'overloaded_error' } },
    });
    const rateLimited = await caught(
      anthropicClient(simulator).messages.create(messageRequest, fault('429')),
    );
    expect(rateLimited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(rateLimited).toMatchObject({ error: { error: { type: 'rate_limit_error' } } });
  });

  it('hangs until the client gives up', async () => {
    const client = openAiClient(simulator, { timeout: 300 });
    const started = performance.now();
    // APIConnectionTimeoutError in plain Node; under jest the SDK cannot recognise the
    // AbortError from another realm and reports its parent class, APIConnectionError.
    await expect(client.chat.completions.create(chatRequest, fault('hang'))).rejects.toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(simulator.counters()).toMatchObject({ faults: { hang: 1 }, byStatus: { '0': 1 } });
  });

  it('cuts streams and bodies so the SDKs throw', async () => {
    const openAiStream = await openAiClient(simulator).chat.completions.create(
      { ...chatRequest, stream: true },
      fault('cut-stream'),
    );
    await expect(collect(openAiStream)).rejects.toThrow();

    const anthropicStream = await anthropicClient(simulator).messages.create(
      { ...messageRequest, stream: true },
      fault('cut-stream'),
    );
    await expect(collect(anthropicStream)).rejects.toThrow();

    await expect(
      openAiClient(simulator).chat.completions.create(chatRequest, fault('cut-stream')),
    ).rejects.toThrow();
    expect(simulator.counters().faults['cut-stream']).toBe(3);
  });

  it('cuts tool-call streams mid-way in both formats so the SDK helpers throw', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'lookup',
          parameters: {
            type: 'object',
            properties: { query: { type: 'string' }, limit: { type: 'integer' } },
            required: ['query', 'limit'],
          },
        },
      },
    ];
    const openAiRequest = {
      ...chatRequest,
      messages: [{ role: 'user' as const, content: 'lookup please' }],
      tools,
    };
    const whole = await openAiClient(simulator).chat.completions.create(openAiRequest);
    expect(whole.choices[0]?.finish_reason).toBe('tool_calls');
    await expect(
      openAiClient(simulator)
        .chat.completions.stream(openAiRequest, fault('cut-stream'))
        .finalChatCompletion(),
    ).rejects.toThrow();

    const anthropicRequest = {
      ...messageRequest,
      messages: [{ role: 'user' as const, content: 'lookup please' }],
      tools: [
        { name: 'lookup', input_schema: tools[0]!.function.parameters as { type: 'object' } },
      ],
    };
    const message = await anthropicClient(simulator).messages.create(anthropicRequest);
    expect(message.stop_reason).toBe('tool_use');
    await expect(
      anthropicClient(simulator)
        .messages.stream(anthropicRequest, fault('malformed'))
        .finalMessage(),
    ).rejects.toThrow();
    expect(simulator.counters().faults).toMatchObject({ 'cut-stream': 1, malformed: 1 });
  });

  it('sends malformed JSON so the SDKs throw', async () => {
    await expect(
      openAiClient(simulator).chat.completions.create(chatRequest, fault('malformed')),
    ).rejects.toThrow();
    const stream = await openAiClient(simulator).chat.completions.create(
      { ...chatRequest, stream: true },
      fault('malformed'),
    );
    await expect(collect(stream)).rejects.toThrow();
    await expect(
      anthropicClient(simulator).messages.create(messageRequest, fault('malformed')),
    ).rejects.toThrow();
    const anthropicStream = await anthropicClient(simulator).messages.create(
      { ...messageRequest, stream: true },
      fault('malformed'),
    );
    await expect(collect(anthropicStream)).rejects.toThrow();
  });

  it('applies x-sim-fault-rate, x-sim-latency-ms and rejects unknown faults', async () => {
    const client = openAiClient(simulator);
    const never = await client.chat.completions.create(
      chatRequest,
      fault('500', { 'x-sim-fault-rate': '0' }),
    );
    expect(never.choices[0]?.message.content).toMatch(/^\[sim\] /);

    const started = performance.now();
    await client.chat.completions.create(chatRequest, { headers: { 'x-sim-latency-ms': '120' } });
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);

    await expect(
      client.chat.completions.create(chatRequest, fault('teapot')),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('x-sim-fault'),
    });
  });

  it('frees the call slot of a client that leaves during its latency', async () => {
    simulator.configure({ models: { 'sim-gpt-fast': { maxConcurrentCalls: 1 } } });
    const leaving = new AbortController();
    const left = fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sim',
        'content-type': 'application/json',
        'x-sim-latency-ms': '600000',
      },
      body: JSON.stringify(chatRequest),
      signal: leaving.signal,
    }).catch((error: unknown) => error);
    // Counted once admitted, before its latency: it holds the model's one slot now.
    while (simulator.counters().total < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    leaving.abort();
    expect(await left).toMatchObject({ name: 'AbortError' });

    // Held for the ten minutes, the slot would keep this call waiting past its timeout.
    const next = await openAiClient(simulator, { timeout: 10_000 }).chat.completions.create(
      chatRequest,
    );
    expect(next.choices[0]?.message.content).toMatch(/^\[sim\] /);
  });

  it('draws faults from the model profile set with configure()', async () => {
    simulator.configure({
      models: { 'sim-gpt-fast': { faults: { status503: 1, retryAfterSeconds: 3 } } },
    });
    const client = openAiClient(simulator);
    const error = await caught(client.chat.completions.create(chatRequest));
    expect(error).toMatchObject({ status: 503 });
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('3');
    // Other models keep their own profile.
    await expect(
      client.chat.completions.create({ ...chatRequest, model: 'sim-gpt-strong' }),
    ).resolves.toBeDefined();

    simulator.configure({ models: { 'sim-gpt-fast': { faults: { status503: 0, hang: 1 } } } });
    await expect(
      openAiClient(simulator, { timeout: 200 }).chat.completions.create(chatRequest),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);

    simulator.reset();
    await expect(client.chat.completions.create(chatRequest)).resolves.toBeDefined();
    expect(() =>
      simulator.configure({ models: { 'sim-gpt-fast': { faults: { status500: 2 } } } }),
    ).toThrow(/status500/);
    expect(() => simulator.configure({ models: { 'gpt-4o': { latencyMs: 1 } } })).toThrow(/sim-/);
  });

  it('enforces rpm over a sliding window with rate-limit headers', async () => {
    simulator.configure({ models: { 'sim-gpt-fast': { rpm: 2 } } });
    const client = openAiClient(simulator);
    const first = await client.chat.completions.create(chatRequest).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await client.chat.completions.create(chatRequest);

    const error = await caught(client.chat.completions.create(chatRequest));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const headers = (error as InstanceType<typeof OpenAI.RateLimitError>).headers;
    expect(headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(Number(headers.get('retry-after'))).toBeGreaterThan(50);
    expect(Number(headers.get('retry-after-ms'))).toBeLessThanOrEqual(60_000);
    // The limit is per model.
    await expect(
      client.chat.completions.create({ ...chatRequest, model: 'sim-gpt-strong' }),
    ).resolves.toBeDefined();
    expect(simulator.counters()).toMatchObject({
      rateLimited: 1,
      byStatus: { '200': 3, '429': 1 },
    });
  });

  it('enforces tpm on prompt plus completion tokens', async () => {
    simulator.configure({ models: { 'sim-gpt-fast': { tpm: 60 } } });
    const client = openAiClient(simulator);
    const echo = {
      ...chatRequest,
      messages: [{ role: 'user' as const, content: 'echo: one two three' }],
    };
    const first = await client.chat.completions.create(echo).withResponse();
    const used = first.data.usage?.total_tokens ?? 0;
    expect(first.response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(60 - used));
    while ((simulator.counters().byStatus['429'] ?? 0) === 0) {
      await client.chat.completions.create(echo).catch(() => undefined);
    }
    expect(simulator.counters().recent.at(-1)?.limitedBy).toBe('tpm');
  });

  it('answers 404 for models that are not sim-*, and 401 without a key', async () => {
    await expect(
      openAiClient(simulator).chat.completions.create({ ...chatRequest, model: 'gpt-4o' }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const unauthorized = await fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chatRequest),
    });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'invalid_api_key', param: null },
    });
    const malformed = await fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sim' },
      body: '{"model": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('x-request-id')).toMatch(/^req_/);
  });
});
