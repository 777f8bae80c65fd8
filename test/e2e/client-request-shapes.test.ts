import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  catalogWithReasoningModels,
  oSeriesModel,
  reasoningSimulatorModels,
} from './reasoning-catalog';
import { apiKey, startSystem } from './system-harness';

/**
 * Requests real clients send that llmq once refused with a schema error it did not explain:
 * OpenAI's legacy `functions`, `tool_choice: allowed_tools`, Anthropic server tools and
 * `mcp_servers`, custom-content documents. Each is carried (and answered as the provider
 * answers it) or refused by name, through the built API and a worker process.
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  system = await startSystem({
    workers: 1,
    simulatorModels: reasoningSimulatorModels,
    env: { MODEL_CATALOG_PATH: catalogWithReasoningModels() },
  });
  openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

const getWeather = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};
const getTime = {
  name: 'get_time',
  parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};

describe("OpenAI's legacy functions and function_call", () => {
  it.each(['sim-gpt-fast', 'sim-claude-fast'])(
    'answers a call as function_call with finish_reason function_call, then takes its result (%s)',
    async (model) => {
      const first = await openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Use get_weather for Paris.' }],
        functions: [getWeather],
      });
      const choice = first.choices[0];
      expect(choice?.finish_reason).toBe('function_call');
      expect(choice?.message.tool_calls).toBeUndefined();
      const call = choice?.message.function_call;
      expect(call?.name).toBe('get_weather');
      expect(JSON.parse(call?.arguments ?? '')).toHaveProperty('city');

      // The call and its result go back as a legacy app sends them.
      const second = await openai.chat.completions.create({
        model,
        messages: [
          { role: 'user', content: 'Use get_weather for Paris.' },
          { role: 'assistant', content: null, function_call: call },
          { role: 'function', name: 'get_weather', content: 'sunny, 21 C' },
        ],
        functions: [getWeather],
        function_call: 'auto',
      });
      expect(second.choices[0]?.finish_reason).toBe('stop');
      expect(second.choices[0]?.message.content).toBe('[sim] get_weather returned: sunny, 21 C');
    },
  );

  it('streams the call as delta.function_call, assembled by the SDK', async () => {
    const stream = openai.chat.completions.stream({
      model: 'sim-claude-fast',
      messages: [{ role: 'user', content: 'What is the time?' }],
      functions: [getWeather, getTime],
      function_call: { name: 'get_time' },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    stream.on('chunk', (chunk) => chunks.push(chunk));
    const completion = await stream.finalChatCompletion();
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.tool_calls)).toBe(false);
    expect(chunks.find((chunk) => chunk.choices[0]?.delta.function_call?.name)).toBeDefined();
    const finishes = chunks.flatMap((chunk) => chunk.choices[0]?.finish_reason ?? []);
    expect(finishes).toEqual(['function_call']);
    const message = completion.choices[0]?.message;
    expect(message?.function_call?.name).toBe('get_time');
    expect(JSON.parse(message?.function_call?.arguments ?? '')).toHaveProperty('zone');
  });

  it.each(['sim-gpt-fast', 'sim-claude-fast'])(
    'asks the model for one call, as legacy functions never call in parallel, so the answer bills only the call it shows (%s)',
    async (model) => {
      const messages = [{ role: 'user' as const, content: 'Use get_weather and get_time.' }];
      const legacy = await openai.chat.completions.create({
        model,
        messages,
        functions: [getWeather, getTime],
      });
      expect(legacy.choices[0]?.finish_reason).toBe('function_call');
      expect(legacy.choices[0]?.message.function_call?.name).toBe('get_weather');
      const tools = [getWeather, getTime].map((fn) => ({
        type: 'function' as const,
        function: fn,
      }));
      const parallel = await openai.chat.completions.create({ model, messages, tools });
      expect(parallel.choices[0]?.message.tool_calls).toHaveLength(2);
      const single = await openai.chat.completions.create({
        model,
        messages,
        tools,
        parallel_tool_calls: false,
      });
      expect(single.choices[0]?.message.tool_calls).toHaveLength(1);
      // The model made one call (parallel_tool_calls: false / disable_parallel_tool_use went
      // with the legacy request), not two of which the answer shows one.
      expect(legacy.usage?.completion_tokens).toBe(single.usage?.completion_tokens);
      expect(legacy.usage?.completion_tokens).toBeLessThan(parallel.usage?.completion_tokens ?? 0);
    },
  );

  it.each([
    ['Gemini: no switch', 'sim-gemini-thinking'],
    [
      'an o-series model, which refuses parallel_tool_calls (catalog parallel_tool_calls: false)',
      oSeriesModel,
    ],
  ])('answers the first call of a model that cannot be asked for one (%s)', async (_, model) => {
    const legacy = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Use get_weather and get_time.' }],
      functions: [getWeather, getTime],
    });
    expect(legacy.choices[0]?.finish_reason).toBe('function_call');
    expect(legacy.choices[0]?.message.function_call?.name).toBe('get_weather');
    expect(legacy.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('takes function_call "none" (no call), and refuses functions beside tools by name', async () => {
    const none = await openai.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'echo: no get_weather today' }],
      functions: [getWeather],
      function_call: 'none',
    });
    expect(none.choices[0]?.message.content).toBe('no get_weather today');
    expect(none.choices[0]?.finish_reason).toBe('stop');

    const mixed = await openai.chat.completions
      .create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'hi' }],
        functions: [getWeather],
        tools: [{ type: 'function', function: getTime }],
      })
      .catch((caught: unknown) => caught);
    expect(mixed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((mixed as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('functions');
  });
});

describe("POST /v1/jobs with OpenAI's legacy functions", () => {
  it('takes functions and function_call as tools and a tool choice, with a legacy history', async () => {
    const id = await system.submit({
      model: 'sim-claude-fast',
      messages: [{ role: 'user', content: 'What is the time?' }],
      functions: [getWeather, getTime],
      function_call: { name: 'get_time' },
    });
    const job = await system.waitForJob(id);
    expect(job.status).toBe('completed');
    // A job's result speaks tool calls (llmq's own shape), whatever form the tools came in.
    expect(job.result.finish_reason).toBe('tool_calls');
    const [call] = job.result.message.tool_calls;
    expect(call.function.name).toBe('get_time');

    const next = await system.submit({
      model: 'sim-gpt-fast',
      messages: [
        { role: 'user', content: 'What is the time?' },
        { role: 'assistant', content: null, function_call: call.function },
        { role: 'function', name: 'get_time', content: '12:00' },
      ],
      functions: [getWeather, getTime],
    });
    const answered = await system.waitForJob(next);
    expect(answered.result.message.content).toBe('[sim] get_time returned: 12:00');
  });

  it('refuses functions beside tools, and function_call alone, by name', async () => {
    const mixed = await system.request('POST', '/v1/jobs', {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'hi' }],
      functions: [getWeather],
      tools: [{ type: 'function', function: getTime }],
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error).toMatchObject({
      code: 'invalid_request',
      details: { parameter: 'functions' },
    });
    const alone = await system.request('POST', '/v1/jobs', {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'hi' }],
      function_call: 'auto',
    });
    expect(alone.status).toBe(400);
    expect(alone.body.error).toMatchObject({ details: { parameter: 'function_call' } });
  });
});

describe("OpenAI's tool_choice allowed_tools", () => {
  it.each(['sim-gpt-fast', 'sim-claude-fast'])(
    'shows the model only the allowed tools, with its mode (%s)',
    async (model) => {
      const completion = await openai.chat.completions.create({
        model,
        // The simulator would call get_weather, named here, were it among the tools sent.
        messages: [{ role: 'user', content: 'Use get_weather for Paris.' }],
        tools: [
          { type: 'function', function: getWeather },
          { type: 'function', function: getTime },
        ],
        tool_choice: {
          type: 'allowed_tools',
          allowed_tools: {
            mode: 'required',
            tools: [{ type: 'function', function: { name: 'get_time' } }],
          },
        },
      });
      expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
      const calls = completion.choices[0]?.message.tool_calls ?? [];
      expect(calls.map((call) => call.type === 'function' && call.function.name)).toEqual([
        'get_time',
      ]);
    },
  );

  it('refuses an allowed tool that is not among the tools, naming it', async () => {
    const error = await openai.chat.completions
      .create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: getWeather }],
        tool_choice: {
          type: 'allowed_tools',
          allowed_tools: {
            mode: 'auto',
            tools: [{ type: 'function', function: { name: 'nope' } }],
          },
        },
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.param).toBe('tool_choice.allowed_tools.tools[0].function.name');
    expect(apiError.message).toContain('"nope" is not in "tools"');
  });
});

describe("the Responses API's tool_choice allowed_tools", () => {
  it('shows the model only the allowed tools, and echoes the choice as given', async () => {
    const toolChoice = {
      type: 'allowed_tools' as const,
      mode: 'required' as const,
      tools: [{ type: 'function', name: 'get_time' }],
    };
    const response = await openai.responses.create({
      model: 'sim-claude-fast',
      input: 'Use get_weather for Paris.',
      tools: [
        { type: 'function', strict: false, ...getWeather },
        { type: 'function', strict: false, ...getTime },
      ],
      tool_choice: toolChoice,
    });
    const calls = response.output.filter((item) => item.type === 'function_call');
    expect(calls.map((call) => call.name)).toEqual(['get_time']);
    expect(response.tool_choice).toEqual(toolChoice);
  });
});

/** The Anthropic-shaped error body of a refused request. */
async function anthropicRefusal(
  body: Anthropic.MessageCreateParamsNonStreaming,
): Promise<{ code: string; message: string; details: { parameter: string } }> {
  const error = await anthropic.messages.create(body).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(Anthropic.BadRequestError);
  const apiError = error as InstanceType<typeof Anthropic.BadRequestError>;
  const body400 = apiError.error as {
    type: string;
    error: { type: string; code: string; message: string; details: { parameter: string } };
  };
  expect(body400.type).toBe('error');
  expect(body400.error.type).toBe('invalid_request_error');
  return body400.error;
}

describe('Anthropic server tools and MCP servers', () => {
  it.each([
    { type: 'web_search_20250305', name: 'web_search', max_uses: 2 },
    { type: 'code_execution_20250825', name: 'code_execution' },
    { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
    { type: 'bash_20250124', name: 'bash' },
    { type: 'web_fetch_20250910', name: 'web_fetch' },
  ] as const)('refuses a $type tool by its type, in Anthropic error shape', async (tool) => {
    const refusal = await anthropicRefusal({
      model: 'sim-claude-fast',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'f', input_schema: { type: 'object' } }, tool],
    });
    expect(refusal.code).toBe('unsupported_parameter');
    expect(refusal.details.parameter).toBe(`tools[1] (${tool.type})`);
    expect(refusal.message).toBe(
      `"tools[1] (${tool.type})" (run by Anthropic itself) is not supported by llmq`,
    );
  });

  it('refuses mcp_servers by name', async () => {
    const refusal = await anthropicRefusal({
      model: 'sim-claude-fast',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
      mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(refusal.code).toBe('unsupported_parameter');
    expect(refusal.details.parameter).toBe('mcp_servers');
  });
});

describe('Anthropic documents with a content source', () => {
  it.each(['sim-claude-fast', 'sim-gpt-fast'])(
    'reads their text blocks into the prompt (%s)',
    async (model) => {
      const message = await anthropic.messages.create({
        model,
        max_tokens: 50,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document',
                source: {
                  type: 'content',
                  content: [
                    { type: 'text', text: 'Repeat the last line.' },
                    { type: 'text', text: 'echo: read from the document' },
                  ],
                },
                cache_control: { type: 'ephemeral' },
              },
            ],
          },
        ],
      });
      expect(message.content).toEqual([{ type: 'text', text: 'read from the document' }]);
      expect(message.stop_reason).toBe('end_turn');
    },
  );
});

describe('Anthropic usage.cache_creation, the cache writes by lifetime', () => {
  const longSystem = (tag: string) =>
    `You are a careful assistant (${tag}). ${'Always cite the queue rules. '.repeat(250)}`;

  it.each([
    ['5m', undefined],
    ['1h', '1h'],
  ] as const)('reports %s writes under their lifetime', async (lifetime, ttl) => {
    const message = await anthropic.messages.create({
      model: 'sim-claude-fast',
      max_tokens: 16,
      system: [
        {
          type: 'text',
          text: longSystem(`ttl ${lifetime}`),
          cache_control: { type: 'ephemeral', ...(ttl === undefined ? {} : { ttl }) },
        },
      ],
      messages: [{ role: 'user', content: 'echo: cached' }],
    });
    const written = message.usage.cache_creation_input_tokens ?? 0;
    expect(written).toBeGreaterThan(1024);
    expect(message.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: lifetime === '5m' ? written : 0,
      ephemeral_1h_input_tokens: lifetime === '1h' ? written : 0,
    });
  });

  it('streams them from message_start, as the provider reported them first', async () => {
    const stream = anthropic.messages.stream({
      model: 'sim-claude-fast',
      max_tokens: 16,
      system: [
        {
          type: 'text',
          text: longSystem('streamed'),
          cache_control: { type: 'ephemeral', ttl: '1h' },
        },
      ],
      messages: [{ role: 'user', content: 'echo: cached' }],
    });
    let started: Anthropic.Usage | undefined;
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_start') started = event.message.usage;
    });
    const message = await stream.finalMessage();
    const written = message.usage.cache_creation_input_tokens ?? 0;
    expect(written).toBeGreaterThan(1024);
    expect(started?.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: written,
    });
    expect(message.usage.cache_creation).toEqual(started?.cache_creation);

    // A model whose provider writes no cache says so from the start too.
    const other = anthropic.messages.stream({
      model: 'sim-gpt-fast',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'echo: hi' }],
    });
    expect((await other.finalMessage()).usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: 0,
    });
  });

  it('reports no writes, as zeros, for a model without a prompt cache', async () => {
    const message = await anthropic.messages.create({
      model: 'sim-gpt-fast',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'echo: hi' }],
    });
    expect(message.usage.cache_creation).toEqual({
      ephemeral_5m_input_tokens: 0,
      ephemeral_1h_input_tokens: 0,
    });
  });
});

describe('chat.completion service_tier and system_fingerprint', () => {
  it("carries the provider's, or OpenAI's defaults for a model that sends none", async () => {
    const gpt = await openai.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'echo: hi' }],
    });
    expect(gpt).toMatchObject({ service_tier: 'default', system_fingerprint: 'fp_llmq_sim' });
    const claude = await openai.chat.completions.create({
      model: 'sim-claude-fast',
      messages: [{ role: 'user', content: 'echo: hi' }],
    });
    expect(claude).toMatchObject({ service_tier: 'default', system_fingerprint: null });
  });

  it('streams the provider’s on every chunk, the assembled completion carrying them', async () => {
    const stream = openai.chat.completions.stream({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'echo: one two three' }],
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    stream.on('chunk', (chunk) => chunks.push(chunk));
    const completion = await stream.finalChatCompletion();
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((chunk) => chunk.service_tier === 'default')).toBe(true);
    // The provider's fingerprint from the first chunk on, never a null the end contradicts.
    expect(chunks.map((chunk) => chunk.system_fingerprint)).toEqual(
      chunks.map(() => 'fp_llmq_sim'),
    );
    expect(completion.system_fingerprint).toBe('fp_llmq_sim');
  });
});
