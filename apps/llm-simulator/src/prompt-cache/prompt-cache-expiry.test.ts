import type Anthropic from '@anthropic-ai/sdk';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, openAiClient } from '../test-support/sdk-clients';

const MINUTE = 60_000;
const longSystem = `You are a careful assistant. ${'Always cite the queue rules. '.repeat(250)}`;

describe('prompt cache expiry on the simulator clock', () => {
  let simulator: RunningSimulator;
  let now: number;

  beforeEach(async () => {
    now = Date.UTC(2026, 0, 1);
    simulator = await startSimulator({ clock: () => now });
  });

  afterEach(async () => {
    await simulator.close();
  });

  function anthropicRequest(question: string, ttl?: '5m' | '1h') {
    return anthropicClient(simulator).messages.create({
      model: 'sim-claude-fast',
      max_tokens: 16,
      system: [
        {
          type: 'text',
          text: longSystem,
          cache_control: { type: 'ephemeral', ...(ttl === undefined ? {} : { ttl }) },
        },
      ],
      messages: [{ role: 'user', content: question }],
    });
  }

  it('keeps an Anthropic entry 5 minutes from its last use by default', async () => {
    const first = await anthropicRequest('One?');
    const written = first.usage.cache_creation_input_tokens ?? 0;
    expect(written).toBeGreaterThan(1024);
    expect(first.usage.cache_creation?.ephemeral_5m_input_tokens).toBe(written);
    expect(first.usage.cache_creation?.ephemeral_1h_input_tokens).toBe(0);

    now += 4 * MINUTE;
    expect((await anthropicRequest('Two?')).usage.cache_read_input_tokens).toBe(written);
    // The read refreshed it: 4 more minutes is 8 after the write, 4 after the last use.
    now += 4 * MINUTE;
    expect((await anthropicRequest('Three?')).usage.cache_read_input_tokens).toBe(written);

    now += 5 * MINUTE;
    const expired = await anthropicRequest('Four?');
    expect(expired.usage.cache_read_input_tokens).toBe(0);
    expect(expired.usage.cache_creation_input_tokens).toBe(written);
  });

  it('keeps a ttl "1h" entry an hour and reports it as a 1h write', async () => {
    const first = await anthropicRequest('One?', '1h');
    const written = first.usage.cache_creation_input_tokens ?? 0;
    expect(written).toBeGreaterThan(1024);
    expect(first.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: written,
    });
    now += 59 * MINUTE;
    expect((await anthropicRequest('Two?', '1h')).usage.cache_read_input_tokens).toBe(written);
    now += 61 * MINUTE;
    expect((await anthropicRequest('Three?', '1h')).usage.cache_read_input_tokens).toBe(0);
  });

  it('refuses a 1h breakpoint after a 5m one, as Anthropic does', async () => {
    const block = (text: string, ttl: '5m' | '1h'): Anthropic.TextBlockParam => ({
      type: 'text',
      text,
      cache_control: { type: 'ephemeral', ttl },
    });
    await expect(
      anthropicClient(simulator).messages.create({
        model: 'sim-claude-fast',
        max_tokens: 16,
        system: [block('first', '5m'), block('second', '1h')],
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({
      status: 400,
      error: {
        error: { type: 'invalid_request_error', message: expect.stringContaining("ttl='1h'") },
      },
    });
  });

  it('keeps an OpenAI prefix 5 minutes in memory, 24 hours with prompt_cache_retention', async () => {
    const client = openAiClient(simulator);
    const ask = (question: string, retention?: '24h') =>
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [
          { role: 'system', content: longSystem },
          { role: 'user', content: question },
        ],
        ...(retention === undefined ? {} : { prompt_cache_retention: retention }),
      });
    const cached = async (question: string, retention?: '24h') =>
      (await ask(question, retention)).usage?.prompt_tokens_details?.cached_tokens;

    expect(await cached('One?')).toBe(0);
    now += 4 * MINUTE;
    expect(await cached('Two?')).toBeGreaterThanOrEqual(1024);
    now += 6 * MINUTE;
    expect(await cached('Three?')).toBe(0);

    expect(await cached('Four?', '24h')).toBeGreaterThanOrEqual(1024);
    now += 23 * 60 * MINUTE;
    expect(await cached('Five?', '24h')).toBeGreaterThanOrEqual(1024);
  });
});
