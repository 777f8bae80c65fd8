import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, collect, openAiClient } from '../test-support/sdk-clients';

describe('POST /v1/messages', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator();
  });

  afterEach(async () => {
    await simulator.close();
  });

  const request = {
    model: 'sim-claude-fast',
    max_tokens: 512,
    system: 'You are terse.',
    messages: [{ role: 'user' as const, content: 'Describe a sliding window.' }],
  };

  it('answers a message the Anthropic SDK parses', async () => {
    const client = anthropicClient(simulator);
    const { data: message, response } = await client.messages.create(request).withResponse();

    expect(message.id).toMatch(/^msg_/);
    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.model).toBe('sim-claude-fast');
    expect(message.content).toHaveLength(1);
    const block = message.content[0];
    expect(block?.type === 'text' && block.text.startsWith('[sim] ')).toBe(true);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    expect(message.usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
  });

  it('streams the events in order, with the same text and usage as the whole message', async () => {
    const client = anthropicClient(simulator);
    const whole = await client.messages.create(request);
    const events = await collect(await client.messages.create({ ...request, stream: true }));

    const types = events.map((event) => event.type);
    expect(types.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.filter((type) => type === 'content_block_delta').length).toBeGreaterThan(2);
    let text = '';
    for (const event of events) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        text += event.delta.text;
      if (event.type === 'message_start')
        expect(event.message.usage.input_tokens).toBe(whole.usage.input_tokens);
      if (event.type === 'message_delta') {
        expect(event.delta.stop_reason).toBe('end_turn');
        expect(event.usage.output_tokens).toBe(whole.usage.output_tokens);
      }
    }
    const block = whole.content[0];
    expect(text).toBe(block?.type === 'text' ? block.text : undefined);

    const final = await client.messages.stream(request).finalMessage();
    expect(final.content).toEqual(whole.content);
    expect(final.usage.output_tokens).toBe(whole.usage.output_tokens);
  });

  it('gives the same reply to the same conversation sent through OpenAI', async () => {
    const message = await anthropicClient(simulator).messages.create({
      ...request,
      model: 'sim-gpt-fast',
    });
    const completion = await openAiClient(simulator).chat.completions.create({
      model: 'sim-gpt-fast',
      max_tokens: 512,
      messages: [
        { role: 'system', content: request.system },
        { role: 'user', content: 'Describe a sliding window.' },
      ],
    });
    const block = message.content[0];
    expect(block?.type === 'text' ? block.text : '').toBe(completion.choices[0]?.message.content);
  });

  it('stops at max_tokens and at stop sequences', async () => {
    const client = anthropicClient(simulator);
    const short = await client.messages.create({ ...request, max_tokens: 3 });
    expect(short.stop_reason).toBe('max_tokens');
    expect(short.usage.output_tokens).toBe(3);

    const stopped = await client.messages.create({
      ...request,
      messages: [{ role: 'user', content: 'echo: one two three' }],
      stop_sequences: ['three', 'two'],
    });
    expect(stopped.stop_reason).toBe('stop_sequence');
    expect(stopped.stop_sequence).toBe('two');
    expect(stopped.content).toEqual([{ type: 'text', text: 'one ' }]);
  });

  it('requires max_tokens, x-api-key and a sim- model, in Anthropic error format', async () => {
    const post = (headers: Record<string, string>, body: object) =>
      fetch(`${simulator.url}/v1/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const { max_tokens: _maxTokens, ...withoutMaxTokens } = request;

    const missingMaxTokens = await post({ 'x-api-key': 'sim' }, withoutMaxTokens);
    expect(missingMaxTokens.status).toBe(400);
    expect(await missingMaxTokens.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    });

    const missingKey = await post({}, request);
    expect(missingKey.status).toBe(401);
    expect(await missingKey.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });

    await expect(
      anthropicClient(simulator).messages.create({ ...request, model: 'claude-sonnet-4' }),
    ).rejects.toMatchObject({
      status: 404,
      error: { type: 'error', error: { type: 'not_found_error' } },
    });

    const badJson = await post({ 'x-api-key': 'sim' }, {});
    expect(badJson.status).toBe(400);
  });
});
