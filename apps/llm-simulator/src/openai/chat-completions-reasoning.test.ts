import type OpenAI from 'openai';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { openAiClient } from '../test-support/sdk-clients';

describe('POST /v1/chat/completions on reasoning models', () => {
  let simulator: RunningSimulator;
  let client: OpenAI;

  beforeEach(async () => {
    simulator = await startSimulator();
    client = openAiClient(simulator);
  });

  afterEach(async () => {
    await simulator.close();
  });

  const messages = [{ role: 'user' as const, content: 'Think about queues.' }];

  it('reports reasoning tokens by effort, inside completion_tokens', async () => {
    const low = await client.chat.completions.create({
      model: 'sim-gpt-reasoning',
      messages,
      reasoning_effort: 'low',
      max_completion_tokens: 2000,
    });
    expect(low.usage?.completion_tokens_details?.reasoning_tokens).toBe(128);
    const visible = low.choices[0]?.message.content ?? '';
    expect(visible.startsWith('[sim] ')).toBe(true);
    expect(low.usage?.completion_tokens).toBeGreaterThan(128);
    const high = await client.chat.completions.create({
      model: 'sim-gpt-reasoning',
      messages,
      reasoning_effort: 'high',
    });
    expect(high.usage?.completion_tokens_details?.reasoning_tokens).toBe(2048);
    // Default effort: medium.
    const medium = await client.chat.completions.create({ model: 'sim-gpt-reasoning', messages });
    expect(medium.usage?.completion_tokens_details?.reasoning_tokens).toBe(512);
  });

  it('spends the budget on reasoning first: a small max_completion_tokens leaves no answer', async () => {
    const cut = await client.chat.completions.create({
      model: 'sim-gpt-reasoning',
      messages,
      reasoning_effort: 'medium',
      max_completion_tokens: 300,
    });
    expect(cut.choices[0]?.finish_reason).toBe('length');
    expect(cut.choices[0]?.message.content).toBe('');
    expect(cut.usage?.completion_tokens).toBe(300);
    expect(cut.usage?.completion_tokens_details?.reasoning_tokens).toBe(300);
  });

  it('refuses max_tokens and other sampling on reasoning models, reasoning_effort on others', async () => {
    await expect(
      client.chat.completions.create({ model: 'sim-gpt-reasoning', messages, max_tokens: 100 }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'max_tokens',
      code: 'unsupported_parameter',
      message: expect.stringContaining("Use 'max_completion_tokens' instead"),
    });
    await expect(
      client.chat.completions.create({ model: 'sim-gpt-reasoning', messages, temperature: 0.2 }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature', code: 'unsupported_value' });
    await expect(
      client.chat.completions.create({
        model: 'sim-gpt-reasoning',
        messages,
        presence_penalty: 0.5,
      }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'presence_penalty',
      code: 'unsupported_parameter',
    });
    await expect(
      client.chat.completions.create({ model: 'sim-gpt-fast', messages, reasoning_effort: 'low' }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'reasoning_effort',
      code: 'unsupported_parameter',
    });
  });

  it('paces a stream by its reasoning tokens before the first content', async () => {
    simulator.configure({ models: { 'sim-gpt-reasoning': { tokensPerSecond: 2000 } } });
    const stream = await client.chat.completions.create({
      model: 'sim-gpt-reasoning',
      messages,
      reasoning_effort: 'high',
      stream: true,
    });
    const started = performance.now();
    let firstContentAt: number | undefined;
    for await (const chunk of stream) {
      if (firstContentAt === undefined && chunk.choices[0]?.delta.content)
        firstContentAt = performance.now();
    }
    // 2,048 reasoning tokens at 2,000 tokens a second: about a second before any text.
    expect(firstContentAt).toBeDefined();
    expect((firstContentAt ?? 0) - started).toBeGreaterThanOrEqual(900);
  });

  it('refuses parallel_tool_calls on a model configured without it, as o-series models do', async () => {
    simulator.configure({
      models: { 'sim-o-series': { capabilities: { parallelToolCalls: false } } },
    });
    const tools = [
      { type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } },
    ];
    const refused = client.chat.completions.create({
      model: 'sim-o-series',
      messages,
      tools,
      parallel_tool_calls: false,
    });
    await expect(refused).rejects.toMatchObject({
      status: 400,
      param: 'parallel_tool_calls',
      code: 'unsupported_parameter',
      message: expect.stringContaining("'parallel_tool_calls' is not supported with this model"),
    });
    const taken = await client.chat.completions.create({ model: 'sim-o-series', messages, tools });
    expect(taken.choices[0]?.finish_reason).toBe('stop');
  });
});
