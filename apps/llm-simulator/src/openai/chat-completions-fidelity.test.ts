import OpenAI from 'openai';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { openAiClient } from '../test-support/sdk-clients';

describe('POST /v1/chat/completions fidelity', () => {
  let simulator: RunningSimulator;
  let client: OpenAI;

  beforeEach(async () => {
    simulator = await startSimulator();
    client = openAiClient(simulator);
  });

  afterEach(async () => {
    await simulator.close();
  });

  const longSystem = `You are a careful assistant. ${'Always cite the queue rules. '.repeat(250)}`;

  it('reads a repeated prefix of 1,024+ tokens from the cache, in steps of 128', async () => {
    const request = (question: string, key?: string) =>
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [
          { role: 'system', content: longSystem },
          { role: 'user', content: question },
        ],
        ...(key === undefined ? {} : { prompt_cache_key: key }),
      });
    const first = await request('First question?');
    expect(first.usage?.prompt_tokens).toBeGreaterThan(1024);
    expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    const second = await request('Second question?');
    const cached = second.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThanOrEqual(1024);
    expect((cached - 1024) % 128).toBe(0);
    expect(cached).toBeLessThan(second.usage?.prompt_tokens ?? 0);
    // Another prompt_cache_key is another cache.
    const otherKey = await request('Second question?', 'tenant-b');
    expect(otherKey.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    // reset() empties the cache.
    simulator.reset();
    const afterReset = await request('Second question?');
    expect(afterReset.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    // A short prompt is never cached, however often it is sent.
    const short = () =>
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'short' }],
      });
    await short();
    const repeated = await short();
    expect(repeated.usage?.prompt_tokens).toBeLessThan(1024);
    expect(repeated.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
  });

  it('answers deterministic logprobs with top_logprobs, the same streamed', async () => {
    const request = {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user' as const, content: 'echo: queues hold jobs' }],
      logprobs: true,
      top_logprobs: 3,
    };
    const whole = await client.chat.completions.create(request);
    const content = whole.choices[0]?.logprobs?.content ?? [];
    expect(content.map((entry) => entry.token).join('')).toBe('queues hold jobs');
    for (const entry of content) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.top_logprobs).toHaveLength(3);
      expect(entry.top_logprobs[0]).toMatchObject({ token: entry.token, logprob: entry.logprob });
      expect(entry.top_logprobs[1]!.logprob).toBeLessThan(entry.logprob);
    }
    const again = await client.chat.completions.create(request);
    expect(again.choices[0]?.logprobs).toEqual(whole.choices[0]?.logprobs);
    const streamed = await client.chat.completions.stream(request).finalChatCompletion();
    expect(streamed.choices[0]?.logprobs?.content).toEqual(content);
    const without = await client.chat.completions.create({ ...request, logprobs: false });
    expect(without.choices[0]?.logprobs).toBeNull();
  });

  it('accepts the fields OpenAI takes: name, store, verbosity, safety_identifier, seed, stop', async () => {
    const completion = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', name: 'alice', content: 'echo: one two three' }],
      store: true,
      verbosity: 'low',
      safety_identifier: 'user-123',
      prompt_cache_key: 'k',
      seed: 7,
      stop: ['three'],
      metadata: { purpose: 'test' },
      service_tier: 'default',
    });
    expect(completion.choices[0]?.message.content).toBe('one two ');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    // The name costs tokens, as on OpenAI.
    const unnamed = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'echo: one two three' }],
    });
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(unnamed.usage?.prompt_tokens ?? 0);
  });

  it('gives the request id the SDK reads, and 404 NotFoundError for an unknown model', async () => {
    const completion = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion._request_id).toMatch(/^req_/);
    const error = await client.chat.completions
      .create({ model: 'gpt-unknown', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).requestID).toMatch(/^req_/);
  });
});

interface MistralOrOpenAIBody {
  choices?: Array<{ message?: { content?: string } }>;
  error?: { message?: string };
}

describe("Mistral's random_seed on OpenAI's chat route (capability seedField)", () => {
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startSimulator({
      models: { 'sim-mistral': { capabilities: { seedField: 'random_seed' } } },
    });
  });
  afterAll(async () => simulator.close());

  async function post(body: Record<string, unknown>) {
    const response = await fetch(`${simulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Tell me a story.' }], ...body }),
    });
    return { status: response.status, body: (await response.json()) as MistralOrOpenAIBody };
  }
  const textOf = (answer: { body: MistralOrOpenAIBody }) =>
    String(answer.body.choices?.[0]?.message?.content);

  it('seeds the reply with random_seed as seed does, and refuses seed as Mistral does', async () => {
    const seeded = await post({ model: 'sim-mistral', random_seed: 7, temperature: 0.9 });
    expect(seeded.status).toBe(200);
    expect(textOf(await post({ model: 'sim-mistral', random_seed: 7, temperature: 0.9 }))).toBe(
      textOf(seeded),
    );
    expect(textOf(await post({ model: 'sim-mistral', random_seed: 8, temperature: 0.9 }))).not.toBe(
      textOf(seeded),
    );
    const refused = await post({ model: 'sim-mistral', seed: 7 });
    expect(refused).toEqual({
      status: 422,
      body: {
        object: 'error',
        message: {
          detail: [
            {
              type: 'extra_forbidden',
              loc: ['body', 'seed'],
              msg: 'Extra inputs are not permitted',
              input: 7,
            },
          ],
        },
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    // And OpenAI refuses Mistral's name.
    const unknown = await post({ model: 'sim-gpt-fast', random_seed: 7 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toBe('Unrecognized request argument supplied: random_seed');
  });
});
