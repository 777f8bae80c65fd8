import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { apiKey, startSystem } from './system-harness';

/**
 * Jobs on catalog models of the newer provider kinds, through real API and worker processes:
 * a Gemini-style model (the simulator's Gemini API through `@google/genai`) and an
 * Azure-style one (an Azure deployment through the `AzureOpenAI` client).
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

/** The shipped catalog plus one model on each of the simulator's Gemini and Azure accounts. */
function catalogWithNewKinds(): string {
  const shipped = readFileSync(path.resolve(__dirname, '../../config/models.yaml'), 'utf8');
  const entry = (id: string, provider: string, upstream: string, reasoning = false) => `
  - id: ${id}
    provider: ${provider}
    upstream_model: ${upstream}
    tier: fast
    context_window: 1000000
    max_output_tokens: 8192
    pricing: { input: 0.3, output: 2.5, cached_input: 0.075 }
    capabilities: { streaming: true, json_mode: true, tools: true, vision: true, json_schema: true, reasoning: ${reasoning} }
    expected_latency_ms: 800
    fallbacks: []
`;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'llmq-catalog-')), 'models.yaml');
  writeFileSync(
    file,
    `${shipped.trimEnd()}\n${entry('gemini-flash', 'simulator-gemini', 'sim-gemini-flash')}${entry('gemini-thinking', 'simulator-gemini', 'sim-gemini-thinking', true)}${entry('azure-gpt-fast', 'simulator-azure', 'sim-gpt-fast')}`,
  );
  return file;
}

beforeAll(async () => {
  system = await startSystem({ workers: 1, env: { MODEL_CATALOG_PATH: catalogWithNewKinds() } });
});
afterAll(async () => {
  await system?.stop();
});

/** The function every tool test here offers, in OpenAI's `function` shape. */
const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

describe('jobs on Gemini and Azure OpenAI catalog models', () => {
  it.each([
    ['gemini-flash', 'simulator-gemini', 'sim-gemini-flash', '/v1beta/models/{model}:'],
    [
      'azure-gpt-fast',
      'simulator-azure',
      'sim-gpt-fast',
      '/openai/deployments/{deployment}/chat/completions',
    ],
  ])(
    'completes a job on %s (%s) over its own wire format',
    async (model, provider, upstream, route) => {
      const jobId = await system.submit({
        model,
        messages: [
          { role: 'system', content: 'You repeat what you are told.' },
          { role: 'user', content: `echo: hello from ${model}` },
        ],
        max_tokens: 50,
      });
      const job = await system.waitForJob(jobId);
      expect(job.status).toBe('completed');
      expect(job.result).toMatchObject({
        text: `hello from ${model}`,
        finish_reason: 'stop',
        model,
        provider,
      });
      expect(job.result.usage.input_tokens).toBeGreaterThan(0);
      expect(job.result.usage.total_tokens).toBe(
        job.result.usage.input_tokens + job.result.usage.output_tokens,
      );
      const calls = system.simulator
        .counters()
        .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.model).toBe(upstream);
      expect(calls[0]?.route.startsWith(route)).toBe(true);
    },
  );

  it('says no cache writes from message_start on, streamed from the Gemini model, as unstreamed', async () => {
    const anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
    const request = {
      model: 'gemini-flash',
      max_tokens: 16,
      messages: [{ role: 'user' as const, content: 'echo: cache writes' }],
    };
    const whole = await anthropic.messages.create(request);
    const none = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
    expect(whole.usage.cache_creation).toEqual(none);
    const stream = anthropic.messages.stream(request);
    let started: Anthropic.Usage | undefined;
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_start') started = event.message.usage;
    });
    const streamed = await stream.finalMessage();
    expect(started).toBeDefined();
    expect(started?.cache_creation).toEqual(none);
    expect(streamed.usage.cache_creation).toEqual(none);
  });

  it('runs a tool call on the Gemini model and returns it in the OpenAI shape', async () => {
    const jobId = await system.submit({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }],
      tools: [{ type: 'function', function: weatherTool }],
    });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('completed');
    expect(job.result.finish_reason).toBe('tool_calls');
    const [call] = job.result.message.tool_calls;
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String) });
  });

  // Gemini 3 wants each function call's thought signature back next turn (a 400 otherwise);
  // clients of the OpenAI and Anthropic dialects send back only the call's id, which carries it.
  it('runs a two-turn tool loop on a Gemini 3-style model with the OpenAI SDK', async () => {
    const openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
    const tools = [{ type: 'function' as const, function: weatherTool }];
    const ask = { role: 'user' as const, content: 'Weather in Paris? Use get_weather.' };
    const first = await openai.chat.completions.create({
      model: 'gemini-thinking',
      messages: [ask],
      tools,
    });
    const message = first.choices[0]?.message;
    const call = message?.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    if (message === undefined || call?.type !== 'function') throw new Error('no tool call');
    expect(call.id.startsWith('llmq_fcs_')).toBe(true);
    const second = await openai.chat.completions.create({
      model: 'gemini-thinking',
      messages: [ask, message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
      tools,
    });
    expect(second.choices[0]?.message.content).toBe('[sim] get_weather returned: sunny');

    // The same conversation moved to an OpenAI model: the Gemini id (it seals the thought
    // signature) is longer than the 40 characters OpenAI takes, so it travels as a stand-in
    // and the call and its result still meet. The simulator refuses a longer id as OpenAI does.
    expect(call.id.length).toBeGreaterThan(40);
    const moved = await openai.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [ask, message, { role: 'tool', tool_call_id: call.id, content: 'cloudy' }],
      tools,
    });
    expect(moved.choices[0]?.message.content).toBe('[sim] get_weather returned: cloudy');
  });

  it('runs the same loop with the Anthropic SDK, and a lost signature is the provider’s 400', async () => {
    const anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
    const tools = [
      {
        name: weatherTool.name,
        description: weatherTool.description,
        input_schema: { ...weatherTool.parameters, type: 'object' as const },
      },
    ];
    const ask = { role: 'user' as const, content: 'Weather in Paris? Use get_weather.' };
    const first = await anthropic.messages.create({
      model: 'gemini-thinking',
      max_tokens: 1024,
      messages: [ask],
      tools,
    });
    expect(first.stop_reason).toBe('tool_use');
    const toolUse = first.content.find((block) => block.type === 'tool_use');
    if (toolUse?.type !== 'tool_use') throw new Error('no tool_use block');
    const turn = (id: string) =>
      anthropic.messages.create({
        model: 'gemini-thinking',
        max_tokens: 1024,
        messages: [
          ask,
          { role: 'assistant', content: [{ ...toolUse, id }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'sunny' }] },
        ],
        tools,
      });
    const second = await turn(toolUse.id);
    // An answer without calls is signed on its text: the signature follows it as a thinking block.
    expect(second.content).toEqual([
      expect.objectContaining({ type: 'text', text: '[sim] get_weather returned: sunny' }),
      { type: 'thinking', thinking: '', signature: expect.stringMatching(/^llmq_gts_/) },
    ]);
    const lost = await turn('toolu_rebuilt').catch((caught: unknown) => caught);
    expect(lost).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String((lost as Error).message)).toContain('missing a thought_signature');
  });

  // Gemini 2.5 and 3 also sign an answer's text (on its last text part) and want the signature
  // back on it; the simulator checks a signature given against its part's text.
  it("keeps a Gemini text part's thought signature across turns (OpenAI SDK, streamed and not)", async () => {
    type Block = { type: 'thinking'; thinking: string; signature: string };
    type Signed = OpenAI.Chat.ChatCompletionMessage & { thinking_blocks?: Block[] };
    const openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
    const ask = { role: 'user' as const, content: 'echo: signed words' };
    const first = await openai.chat.completions.create({
      model: 'gemini-thinking',
      messages: [ask],
    });
    const message = first.choices[0]?.message as Signed;
    expect(message.content).toBe('signed words');
    expect(message.thinking_blocks).toEqual([
      { type: 'thinking', thinking: '', signature: expect.stringMatching(/^llmq_gts_/) },
    ]);
    const next = (answer: Signed) =>
      openai.chat.completions.create({
        model: 'gemini-thinking',
        messages: [
          ask,
          answer as OpenAI.Chat.ChatCompletionMessageParam,
          { role: 'user', content: 'echo: again' },
        ],
      });
    expect((await next(message)).choices[0]?.message.content).toBe('again');
    // The signature reached Gemini on the text part: a text changed on the way fails its check.
    const changed = await next({ ...message, content: 'other words' }).catch(
      (caught: unknown) => caught,
    );
    expect(changed).toMatchObject({ status: 400 });
    expect(String((changed as Error).message)).toContain('Thought signature is not valid');

    // Streamed, the signature comes after the text and goes back the same way.
    const stream = openai.chat.completions.stream({ model: 'gemini-thinking', messages: [ask] });
    const blocks: Block[] = [];
    stream.on('chunk', (chunk) => {
      const delta = chunk.choices[0]?.delta as { thinking_blocks?: Block[] } | undefined;
      blocks.push(...(delta?.thinking_blocks ?? []));
    });
    const streamed = (await stream.finalChatCompletion()).choices[0]?.message as Signed;
    expect(streamed.content).toBe('signed words');
    expect(blocks).toEqual([
      { type: 'thinking', thinking: '', signature: expect.stringMatching(/^llmq_gts_/) },
    ]);
    const assembled = { role: 'assistant', content: streamed.content, thinking_blocks: blocks };
    expect((await next(assembled as Signed)).choices[0]?.message.content).toBe('again');
  });
});
