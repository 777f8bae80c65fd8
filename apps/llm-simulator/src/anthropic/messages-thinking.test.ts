import type Anthropic from '@anthropic-ai/sdk';
import { REDACTED_THINKING_TRIGGER } from '../reasoning/generate-thinking';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, collect } from '../test-support/sdk-clients';

describe('POST /v1/messages with thinking', () => {
  let simulator: RunningSimulator;
  let client: Anthropic;

  beforeEach(async () => {
    simulator = await startSimulator();
    client = anthropicClient(simulator);
  });

  afterEach(async () => {
    await simulator.close();
  });

  const request = {
    model: 'sim-claude-thinking',
    max_tokens: 4096,
    thinking: { type: 'enabled' as const, budget_tokens: 2048 },
    messages: [{ role: 'user' as const, content: 'Plan a trip.' }] as Anthropic.MessageParam[],
  };

  it('answers a signed thinking block before the text, and accepts it back in the next turn', async () => {
    const first = await client.messages.create(request);
    expect(first.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    const thinking = first.content[0];
    if (thinking?.type !== 'thinking') throw new Error('expected a thinking block');
    expect(thinking.thinking.length).toBeGreaterThan(0);
    expect(thinking.signature.length).toBeGreaterThan(20);
    expect(first.usage.output_tokens).toBeGreaterThan(0);

    const next = await client.messages.create({
      ...request,
      messages: [
        ...request.messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'And then?' },
      ],
    });
    expect(next.content[0]?.type).toBe('thinking');

    const tampered = client.messages.create({
      ...request,
      messages: [
        ...request.messages,
        {
          role: 'assistant',
          content: [{ ...thinking, thinking: `${thinking.thinking} (edited)` }, first.content[1]!],
        },
        { role: 'user', content: 'And then?' },
      ],
    });
    await expect(tampered).rejects.toMatchObject({
      status: 400,
      error: {
        error: {
          type: 'invalid_request_error',
          message: 'messages.1.content.0: Invalid `signature` in `thinking` block',
        },
      },
    });
  });

  it('streams thinking_delta then signature_delta; finalMessage equals the whole answer', async () => {
    const whole = await client.messages.create(request);
    const events = await collect(await client.messages.create({ ...request, stream: true }));
    const deltaTypes = events.flatMap((event) =>
      event.type === 'content_block_delta' ? [event.delta.type] : [],
    );
    const firstSignature = deltaTypes.indexOf('signature_delta');
    expect(deltaTypes.slice(0, firstSignature).every((type) => type === 'thinking_delta')).toBe(
      true,
    );
    expect(firstSignature).toBeGreaterThan(0);
    expect(deltaTypes.slice(firstSignature + 1).every((type) => type === 'text_delta')).toBe(true);
    const final = await client.messages.stream(request).finalMessage();
    expect(final.content).toEqual(whole.content);
  });

  it('adds a redacted_thinking block for the documented trigger string, verified on the way back', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: `Go. ${REDACTED_THINKING_TRIGGER}` },
    ];
    const first = await client.messages.create({ ...request, messages });
    expect(first.content.map((block) => block.type)).toEqual([
      'thinking',
      'redacted_thinking',
      'text',
    ]);
    const next = await client.messages.create({
      ...request,
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'More.' },
      ],
    });
    expect(next.stop_reason).toBe('end_turn');
    const redacted = first.content[1];
    if (redacted?.type !== 'redacted_thinking') throw new Error('expected redacted thinking');
    await expect(
      client.messages.create({
        ...request,
        messages: [
          ...messages,
          { role: 'assistant', content: [{ ...redacted, data: `x${redacted.data}` }] },
          { role: 'user', content: 'More.' },
        ],
      }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('refuses thinking as Anthropic does: budget, temperature, model without it', async () => {
    await expect(client.messages.create({ ...request, max_tokens: 2048 })).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining('max_tokens') } },
    });
    // This SDK's types no longer list temperature; the API still takes it, and refuses it here.
    const withTemperature = { ...request, temperature: 0.5 };
    await expect(client.messages.create(withTemperature)).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining('temperature') } },
    });
    await expect(
      client.messages.create({ ...request, model: 'sim-claude-fast' }),
    ).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining('thinking') } },
    });
  });

  it('thinks adaptively within max_tokens, at the effort output_config asks, and refuses both on a model without thinking', async () => {
    const adaptive = {
      model: 'sim-claude-thinking',
      max_tokens: 400,
      thinking: { type: 'adaptive' as const },
      output_config: { effort: 'medium' as const },
      messages: [{ role: 'user' as const, content: 'Plan a trip.' }] as Anthropic.MessageParam[],
    };
    const first = await client.messages.create(adaptive);
    expect(first.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    const thinking = first.content[0];
    if (thinking?.type !== 'thinking') throw new Error('expected a thinking block');
    expect(thinking.signature.length).toBeGreaterThan(20);
    expect(first.usage.output_tokens).toBeLessThanOrEqual(400);
    const next = await client.messages.create({
      ...adaptive,
      messages: [
        ...adaptive.messages,
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'And then?' },
      ],
    });
    expect(next.content[0]?.type).toBe('thinking');

    await expect(
      client.messages.create({ ...adaptive, model: 'sim-claude-fast', output_config: {} }),
    ).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining('thinking') } },
    });
    const { thinking: _thinking, ...effortOnly } = adaptive;
    await expect(
      client.messages.create({ ...effortOnly, model: 'sim-claude-fast' }),
    ).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining('output_config.effort') } },
    });
  });

  it('refuses adaptive thinking to a model that thinks only within a budget, and max_tokens above its most output, as Anthropic does', async () => {
    simulator.configure({
      models: {
        'sim-claude-budget-thinking': {
          capabilities: { reasoning: true, adaptiveThinking: false, maxOutputTokens: 16_000 },
        },
      },
    });
    const budgetOnly = { ...request, model: 'sim-claude-budget-thinking' };
    const adaptive = client.messages.create({ ...budgetOnly, thinking: { type: 'adaptive' } });
    await expect(adaptive).rejects.toMatchObject({
      status: 400,
      error: {
        error: {
          type: 'invalid_request_error',
          message: 'adaptive thinking is not supported on this model',
        },
      },
    });
    // A budget it takes.
    const budgeted = await client.messages.create(budgetOnly);
    expect(budgeted.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    await expect(
      client.messages.create({ ...budgetOnly, max_tokens: 20_000 }),
    ).rejects.toMatchObject({
      status: 400,
      error: {
        error: {
          message:
            'max_tokens: 20000 > 16000, which is the maximum allowed number of output tokens for sim-claude-budget-thinking',
        },
      },
    });
  });
});
