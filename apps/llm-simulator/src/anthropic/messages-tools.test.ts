import type Anthropic from '@anthropic-ai/sdk';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, collect } from '../test-support/sdk-clients';

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: {
    type: 'object',
    properties: {
      city: { type: 'string', minLength: 3 },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city', 'unit'],
  },
};
const timeTool: Anthropic.Tool = {
  name: 'get_time',
  input_schema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};

describe('POST /v1/messages with tools', () => {
  let simulator: RunningSimulator;
  let client: Anthropic;

  beforeEach(async () => {
    simulator = await startSimulator();
    client = anthropicClient(simulator);
  });

  afterEach(async () => {
    await simulator.close();
  });

  it('answers output_config.format with JSON valid against its schema, streamed the same', async () => {
    const schema = {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 3 },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    };
    const body = {
      model: 'sim-claude-fast',
      max_tokens: 512,
      messages: [{ role: 'user' as const, content: 'Describe the weather.' }],
      output_config: { format: { type: 'json_schema' as const, schema } },
    };
    const message = await client.messages.create(body);
    const block = message.content[0];
    if (block?.type !== 'text') throw new Error('expected a text block');
    const value = JSON.parse(block.text) as { city: string; unit: string };
    expect(value.city.length).toBeGreaterThanOrEqual(3);
    expect(['celsius', 'fahrenheit']).toContain(value.unit);
    const streamed = await client.messages.stream(body).finalMessage();
    expect(streamed.content).toEqual(message.content);
  });

  it('runs a two-step tool loop: tool_use named by the prompt, then text with the result', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'What is the weather? Use get_weather.' },
    ];
    const first = await client.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 512,
      messages,
      tools: [weatherTool, timeTool],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toHaveLength(1);
    const toolUse = first.content[0];
    if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(toolUse.id).toMatch(/^toolu_01[A-Za-z0-9]{22}$/);
    expect(toolUse.name).toBe('get_weather');
    const input = toolUse.input as { city: string; unit: string };
    expect(input.city.length).toBeGreaterThanOrEqual(3);
    expect(['celsius', 'fahrenheit']).toContain(input.unit);
    expect(first.usage.output_tokens).toBeGreaterThan(0);

    const second = await client.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 512,
      tools: [weatherTool, timeTool],
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '18 degrees' }],
        },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content).toEqual([
      { type: 'text', text: '[sim] get_weather returned: 18 degrees' },
    ]);
    const failed = await client.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 512,
      tools: [weatherTool, timeTool],
      messages: [
        ...messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: toolUse.id, content: 'timeout', is_error: true },
          ],
        },
      ],
    });
    expect(failed.content).toEqual([{ type: 'text', text: '[sim] get_weather failed: timeout' }]);
  });

  it('follows tool_choice any, tool and none, and disable_parallel_tool_use', async () => {
    const names = async (content: string, tool_choice?: Anthropic.ToolChoice) => {
      const message = await client.messages.create({
        model: 'sim-claude-fast',
        max_tokens: 512,
        messages: [{ role: 'user', content }],
        tools: [weatherTool, timeTool],
        ...(tool_choice === undefined ? {} : { tool_choice }),
      });
      return message.content.flatMap((block) => (block.type === 'tool_use' ? [block.name] : []));
    };
    expect(await names('Hello')).toEqual([]);
    expect(await names('Hello', { type: 'any' })).toEqual(['get_weather']);
    expect(await names('Hello', { type: 'tool', name: 'get_time' })).toEqual(['get_time']);
    expect(await names('get_weather', { type: 'none' })).toEqual([]);
    expect(await names('get_time, get_weather')).toEqual(['get_weather', 'get_time']);
    expect(
      await names('get_time, get_weather', { type: 'auto', disable_parallel_tool_use: true }),
    ).toEqual(['get_weather']);
  });

  it('streams tool_use blocks as input_json_delta chunks that finalMessage assembles', async () => {
    const request = {
      model: 'sim-claude-fast',
      max_tokens: 512,
      messages: [{ role: 'user' as const, content: 'get_weather and get_time' }],
      tools: [weatherTool, timeTool],
    };
    const whole = await client.messages.create(request);
    const events = await collect(await client.messages.create({ ...request, stream: true }));
    const starts = events.flatMap((event) =>
      event.type === 'content_block_start' ? [event.content_block.type] : [],
    );
    expect(starts).toEqual(['tool_use', 'tool_use']);
    const jsonDeltas = events.filter(
      (event) => event.type === 'content_block_delta' && event.delta.type === 'input_json_delta',
    );
    expect(jsonDeltas.length).toBeGreaterThan(3);
    const final = await client.messages.stream(request).finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(
      final.content.map((block) => (block.type === 'tool_use' ? [block.name, block.input] : [])),
    ).toEqual(
      whole.content.map((block) => (block.type === 'tool_use' ? [block.name, block.input] : [])),
    );
  });

  it('refuses a tool_result for no tool_use, and a tool_use left unanswered', async () => {
    const first = await client.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 512,
      messages: [{ role: 'user', content: 'get_weather' }],
      tools: [weatherTool],
    });
    const toolUse = first.content[0];
    if (toolUse?.type !== 'tool_use') throw new Error('expected a tool_use block');
    const unknownResult = client.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 512,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'get_weather' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'x' }] },
      ],
    });
    await expect(unknownResult).rejects.toMatchObject({
      status: 400,
      error: {
        error: {
          type: 'invalid_request_error',
          message: expect.stringContaining('unexpected `tool_use_id` found in `tool_result`'),
        },
      },
    });
    const unanswered = client.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 512,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'get_weather' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: 'and?' },
      ],
    });
    await expect(unanswered).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining(toolUse.id) } },
    });
  });

  it('refuses tools on a model without the capability, and unknown fields', async () => {
    simulator.configure({ models: { 'sim-claude-fast': { capabilities: { tools: false } } } });
    await expect(
      client.messages.create({
        model: 'sim-claude-fast',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'get_weather' }],
        tools: [weatherTool],
      }),
    ).rejects.toMatchObject({
      status: 400,
      error: {
        error: { type: 'invalid_request_error', message: expect.stringContaining('tools') },
      },
    });
    await expect(
      client.messages.create({
        model: 'sim-claude-strong',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'hi' }],
        // @ts-expect-error: not an Anthropic parameter
        frobnicate: 1,
      }),
    ).rejects.toMatchObject({
      status: 400,
      error: { error: { message: 'frobnicate: Extra inputs are not permitted' } },
    });
  });
});
