import type OpenAI from 'openai';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { openAiClient } from '../test-support/sdk-clients';

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1, maximum: 7 },
      },
      required: ['city', 'unit', 'days'],
      additionalProperties: false,
    },
  },
};
const timeTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_time',
    parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
  },
};

describe('POST /v1/chat/completions with tools', () => {
  let simulator: RunningSimulator;
  let client: OpenAI;

  beforeEach(async () => {
    simulator = await startSimulator();
    client = openAiClient(simulator);
  });

  afterEach(async () => {
    await simulator.close();
  });

  it('calls a tool after tool results when one must be called: the next one for required', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Use get_weather for Paris.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ];
    const tools = [weatherTool, timeTool];
    const called = async (tool_choice: OpenAI.Chat.ChatCompletionToolChoiceOption) => {
      const answer = await client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages,
        tools,
        tool_choice,
      });
      const calls = answer.choices[0]?.message.tool_calls ?? [];
      return calls.map((call) => (call.type === 'function' ? call.function.name : call.type));
    };
    expect(await called('required')).toEqual(['get_time']);
    expect(await called({ type: 'function', function: { name: 'get_weather' } })).toEqual([
      'get_weather',
    ]);
    expect(await called('auto')).toEqual([]);
  });

  it('runs a two-step tool loop: a call named by the prompt, then text with the result', async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Use get_weather for Paris.' },
    ];
    const first = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages,
      tools: [weatherTool, timeTool],
    });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const calls = choice?.message.tool_calls ?? [];
    expect(calls).toHaveLength(1);
    const call = calls[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments);
    expect(Object.keys(args).sort()).toEqual(['city', 'days', 'unit']);
    expect(['celsius', 'fahrenheit']).toContain(args.unit);
    expect(Number.isInteger(args.days) && args.days >= 1 && args.days <= 7).toBe(true);
    expect(first.usage?.completion_tokens).toBeGreaterThan(0);

    const second = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      tools: [weatherTool, timeTool],
      messages: [
        ...messages,
        choice!.message,
        { role: 'tool', tool_call_id: call.id, content: '18 degrees and sunny' },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toBe(
      '[sim] get_weather returned: 18 degrees and sunny',
    );
  });

  it("keeps Mistral's tool call ids: 9 letters or digits, given and required", async () => {
    simulator.configure({
      models: { 'sim-mistral': { capabilities: { toolCallIds: 'alphanumeric-9' } } },
    });
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Use get_weather for Paris.' },
    ];
    const first = await client.chat.completions.create({
      model: 'sim-mistral',
      messages,
      tools: [weatherTool],
    });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(call?.id).toMatch(/^[a-zA-Z0-9]{9}$/);
    const reply = (id: string): OpenAI.Chat.ChatCompletionMessageParam[] => [
      ...messages,
      { ...first.choices[0]!.message, tool_calls: [{ ...call!, id }] as never },
      { role: 'tool', tool_call_id: id, content: '18 degrees' },
    ];
    const second = await client.chat.completions.create({
      model: 'sim-mistral',
      tools: [weatherTool],
      messages: reply(call!.id),
    });
    expect(second.choices[0]?.message.content).toBe('[sim] get_weather returned: 18 degrees');
    const refused = await client.chat.completions
      .create({ model: 'sim-mistral', tools: [weatherTool], messages: reply('call_abc123') })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      status: 400,
      message: expect.stringContaining(
        'Tool call id was call_abc123 but must be a-z, A-Z, 0-9, with a length of 9.',
      ),
    });
  });

  it("refuses a tool call id longer than OpenAI's 40 characters, naming the field", async () => {
    const conversation = (id: string): OpenAI.Chat.ChatCompletionMessageParam[] => [
      { role: 'user', content: 'Use get_weather for Paris.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id,
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: id, content: '18 degrees' },
    ];
    const ask = (id: string) =>
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        tools: [weatherTool],
        messages: conversation(id),
      });
    const longest = `call_${'a'.repeat(35)}`;
    expect((await ask(longest)).choices[0]?.message.content).toBe(
      '[sim] get_weather returned: 18 degrees',
    );
    const refused = await ask(`${longest}b`).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      status: 400,
      code: 'string_above_max_length',
      param: 'messages[1].tool_calls[0].id',
      message: expect.stringContaining(
        'Expected a string with maximum length 40, but got a string with length 41 instead.',
      ),
    });
    // A tool result naming a long id is refused too, on its own field.
    const [user, assistant] = conversation(longest);
    const orphan = await client.chat.completions
      .create({
        model: 'sim-gpt-fast',
        tools: [weatherTool],
        messages: [user!, assistant!, { role: 'tool', tool_call_id: `${longest}b`, content: 'x' }],
      })
      .catch((error: unknown) => error);
    expect(orphan).toMatchObject({ status: 400, param: 'messages[2].tool_call_id' });
  });

  it('follows tool_choice: none, required, a named function; auto answers text', async () => {
    const ask = (content: string, tool_choice?: OpenAI.Chat.ChatCompletionToolChoiceOption) =>
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content }],
        tools: [weatherTool, timeTool],
        ...(tool_choice === undefined ? {} : { tool_choice }),
      });
    const names = (completion: OpenAI.Chat.ChatCompletion) =>
      (completion.choices[0]?.message.tool_calls ?? []).map((call) =>
        call.type === 'function' ? call.function.name : call.type,
      );
    expect(names(await ask('Hello there'))).toEqual([]);
    expect(names(await ask('get_weather please', 'none'))).toEqual([]);
    expect(names(await ask('Hello there', 'required'))).toEqual(['get_weather']);
    expect(names(await ask('Hello', { type: 'function', function: { name: 'get_time' } }))).toEqual(
      ['get_time'],
    );
    // Both named: parallel calls, in the order of `tools`.
    expect(names(await ask('get_time and get_weather'))).toEqual(['get_weather', 'get_time']);
    const serial = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'get_time and get_weather' }],
      tools: [weatherTool, timeTool],
      parallel_tool_calls: false,
    });
    expect(names(serial)).toEqual(['get_weather']);
    // A longer identifier does not name the tool.
    expect(names(await ask('my_get_weather_tool'))).toEqual([]);
  });

  it('streams tool calls that the SDK assembles into the same completion', async () => {
    const request = {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user' as const, content: 'get_weather and get_time now' }],
      tools: [weatherTool, timeTool],
    };
    const whole = await client.chat.completions.create(request);
    const stream = client.chat.completions.stream(request);
    const argumentDeltas: string[] = [];
    stream.on('chunk', (chunk) => {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? [])
        if (call.function?.arguments) argumentDeltas.push(call.function.arguments);
    });
    const final = await stream.finalChatCompletion();
    const finalCalls = final.choices[0]?.message.tool_calls ?? [];
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(finalCalls.map((call) => (call.type === 'function' ? call.function : null))).toEqual(
      (whole.choices[0]?.message.tool_calls ?? []).map((call) =>
        call.type === 'function' ? call.function : null,
      ),
    );
    expect(finalCalls.every((call) => /^call_/.test(call.id))).toBe(true);
    // Arguments arrive in several chunks.
    expect(argumentDeltas.length).toBeGreaterThan(2);
  });

  it('refuses tool results that answer no call, and calls left unanswered', async () => {
    const first = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'get_weather' }],
      tools: [weatherTool],
    });
    const assistant = first.choices[0]!.message;
    const base = {
      model: 'sim-gpt-fast',
      tools: [weatherTool],
    };
    await expect(
      client.chat.completions.create({
        ...base,
        messages: [
          { role: 'user', content: 'get_weather' },
          assistant,
          { role: 'tool', tool_call_id: 'call_unknown', content: 'x' },
        ],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'messages.[2].tool_call_id' });
    await expect(
      client.chat.completions.create({
        ...base,
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'tool', tool_call_id: 'call_x', content: 'x' },
        ],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'messages.[1].role' });
    await expect(
      client.chat.completions.create({
        ...base,
        messages: [
          { role: 'user', content: 'get_weather' },
          assistant,
          { role: 'user', content: 'and?' },
        ],
      }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'messages.[1].role',
      message: expect.stringContaining(assistant.tool_calls?.[0]?.id ?? 'missing'),
    });
    await expect(
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'hi' }],
        tool_choice: 'auto',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'tool_choice' });
  });

  it('refuses tools on a model without the capability, and unknown fields', async () => {
    simulator.configure({ models: { 'sim-gpt-fast': { capabilities: { tools: false } } } });
    await expect(
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'get_weather' }],
        tools: [weatherTool],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'tools', code: 'unsupported_parameter' });
    await expect(
      client.chat.completions.create({
        model: 'sim-gpt-strong',
        messages: [{ role: 'user', content: 'hi' }],
        // @ts-expect-error: not an OpenAI parameter
        frobnicate: true,
      }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('Unrecognized request argument supplied: frobnicate'),
    });
  });
});
