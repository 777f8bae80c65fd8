import Anthropic from '@anthropic-ai/sdk';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, collect } from '../test-support/sdk-clients';

describe('POST /v1/messages fidelity', () => {
  let simulator: RunningSimulator;
  let client: Anthropic;

  beforeEach(async () => {
    simulator = await startSimulator();
    client = anthropicClient(simulator);
  });

  afterEach(async () => {
    await simulator.close();
  });

  const longSystem = `You are a careful assistant. ${'Always cite the queue rules. '.repeat(250)}`;

  it('writes a cache_control prefix once and reads it after, as usage reports', async () => {
    const request = (question: string, cached = true) =>
      client.messages.create({
        model: 'sim-claude-fast',
        max_tokens: 64,
        system: [
          {
            type: 'text',
            text: longSystem,
            ...(cached ? { cache_control: { type: 'ephemeral' as const } } : {}),
          },
        ],
        messages: [{ role: 'user', content: question }],
      });
    const uncached = await request('First?', false);
    expect(uncached.usage.cache_creation_input_tokens).toBe(0);
    const total = uncached.usage.input_tokens;
    expect(total).toBeGreaterThan(1024);

    const first = await request('First?');
    const written = first.usage.cache_creation_input_tokens ?? 0;
    expect(written).toBeGreaterThan(1024);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.input_tokens + written).toBe(total);

    const second = await request('Second?');
    expect(second.usage.cache_read_input_tokens).toBe(written);
    expect(second.usage.cache_creation_input_tokens).toBe(0);

    const events = await collect(
      await client.messages.create({
        model: 'sim-claude-fast',
        max_tokens: 64,
        stream: true,
        system: [{ type: 'text', text: longSystem, cache_control: { type: 'ephemeral' } }],
        messages: [{ role: 'user', content: 'Third?' }],
      }),
    );
    const start = events[0];
    if (start?.type !== 'message_start') throw new Error('expected message_start first');
    expect(start.message.usage.input_tokens).toBeGreaterThan(0);
    expect(start.message.usage.cache_read_input_tokens).toBe(written);
  });

  it('reports the stop sequence that matched, streamed too', async () => {
    const request = {
      model: 'sim-claude-fast',
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: 'echo: alpha beta gamma' }],
      stop_sequences: ['gamma', 'beta'],
    };
    const whole = await client.messages.create(request);
    expect(whole.stop_reason).toBe('stop_sequence');
    expect(whole.stop_sequence).toBe('beta');
    const final = await client.messages.stream(request).finalMessage();
    expect(final.stop_reason).toBe('stop_sequence');
    expect(final.stop_sequence).toBe('beta');
    expect(final.content).toEqual(whole.content);
  });

  it('gives the request-id the SDK reads, and 404 NotFoundError for an unknown model', async () => {
    const message = await client.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(message._request_id).toMatch(/^req_01/);
    const error = await client.messages
      .create({
        model: 'claude-unknown',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error).toMatchObject({ error: { type: 'error', error: { type: 'not_found_error' } } });
    expect((error as InstanceType<typeof Anthropic.NotFoundError>).requestID).toMatch(/^req_01/);
  });
});
