import { startSimulator } from '@llmq/llm-simulator';
import type { AssistantContentPart } from '../../messages/content-part';
import type { GenerateRequest, LanguageModel, StreamPart } from '../language-model';
import type { Provider } from '../provider';
import { GeminiLanguageModel } from './gemini-language-model';
import { createGeminiProvider } from './gemini-provider';

/** Gemini specifics the shared contract suite does not cover, against the simulator over HTTP. */
type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let provider: Provider;
let model: LanguageModel;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
  provider = createGeminiProvider({ id: 'sim-gemini', apiKey: 'x', baseURL: simulator.url });
  model = provider.languageModel('sim-gemini-flash');
});

afterAll(async () => {
  await simulator?.close();
});

beforeEach(() => simulator.reset());

it('reports implicit-cache hits as cached input tokens, whole or streamed', async () => {
  const request: GenerateRequest = {
    messages: [
      { role: 'system', content: 'House rules. '.repeat(500) },
      { role: 'user', content: 'echo: ok' },
    ],
  };
  const first = await model.generate(request);
  expect(first.usage.cachedInputTokens).toBe(0);
  const second = await model.generate(request);
  expect(second.usage.cachedInputTokens).toBeGreaterThanOrEqual(1024);
  expect(second.usage.cachedInputTokens).toBeLessThanOrEqual(second.usage.inputTokens);
  expect(second.usage.inputTokens).toBe(first.usage.inputTokens);
  const parts: StreamPart[] = [];
  for await (const part of model.stream(request)) parts.push(part);
  expect(parts.at(-1)).toMatchObject({ type: 'finish', usage: second.usage });
});

it('opens a stream with its metadata, no cache writes, before any content', async () => {
  const parts: StreamPart[] = [];
  for await (const part of model.stream({ messages: [{ role: 'user', content: 'echo: hi' }] }))
    parts.push(part);
  // Gemini writes no prompt cache of the client's (its implicit cache only reads), and says
  // so from the first chunk, as the whole answer's usage does: a streamed Anthropic
  // `message_start` then says zeros, not null.
  expect(parts[0]).toEqual({
    type: 'response-metadata',
    cacheWrites: { inputTokens: 0, oneHourInputTokens: 0 },
  });
  expect(parts.filter((part) => part.type === 'response-metadata')).toHaveLength(1);
  expect(parts.some((part) => part.type === 'text-delta')).toBe(true);
});

it('refuses parallelToolCalls: false before any call (Gemini has no such switch)', async () => {
  const error = await model
    .generate({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'get_time', parameters: { type: 'object', properties: {} } }],
      parallelToolCalls: false,
    })
    .catch((caught: unknown) => caught);
  expect(error).toMatchObject({ code: 'unsupported_parameter', statusCode: 400 });
  expect(simulator.counters().total).toBe(0);
});

it('answers an SDK that fails to load (or a client that cannot be made) as a ProviderError, whole or streamed', async () => {
  const loadFailure = Object.assign(new Error("Cannot find module '@google/genai'"), {
    code: 'MODULE_NOT_FOUND',
  });
  const failing = new GeminiLanguageModel('sim-gemini-flash', {
    provider: 'sim-gemini',
    timeoutMs: 5_000,
    client: () => {
      throw loadFailure;
    },
  });
  const request: GenerateRequest = { messages: [{ role: 'user', content: 'hi' }] };
  const whole = await failing.generate(request).catch((caught: unknown) => caught);
  const streamed = await (async () => {
    for await (const _part of failing.stream(request)) {
      // no part comes
    }
  })().catch((caught: unknown) => caught);
  for (const error of [whole, streamed]) {
    // What any failure without an HTTP answer maps to: retry and fallback read its code.
    expect(error).toMatchObject({
      name: 'ProviderError',
      code: 'unknown',
      provider: 'sim-gemini',
      cause: loadFailure,
    });
    expect((error as Error).message).toBe("sim-gemini: Cannot find module '@google/genai'");
  }
  expect(simulator.counters().total).toBe(0);
});

it('gives made-up ids to function calls and sends a tool result back by name', async () => {
  const tools = [{ name: 'get_time', parameters: { type: 'object', properties: {} } }];
  const first = await model.generate({
    messages: [{ role: 'user', content: 'Use get_time.' }],
    tools,
  });
  const [call] = first.content;
  expect(call).toMatchObject({ type: 'tool-call', toolName: 'get_time' });
  if (call?.type !== 'tool-call') throw new Error('no tool call');
  expect(call.toolCallId.startsWith('llmq_fc_')).toBe(true);
  const answer = await model.generate({
    messages: [
      { role: 'user', content: 'Use get_time.' },
      { role: 'assistant', content: first.content },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: call.toolCallId, content: 'noon' }],
      },
    ],
    tools,
  });
  expect(answer.text).toBe('[sim] get_time returned: noon');
});

it("answers an effort with a maxOutputTokens below the effort's budget: the budget sent fits under it, leaving room to answer", async () => {
  const thinking = provider.languageModel('sim-gemini-thinking');
  // The effort's budget (24,576 for high) over a 40-token limit: the simulator, as Gemini,
  // refuses thoughts that take the whole limit ("leaves no room for an answer after thinking").
  const request: GenerateRequest = {
    messages: [{ role: 'user', content: 'Explain queues.' }],
    maxTokens: 40,
    reasoning: { effort: 'high' },
  };
  const result = await thinking.generate(request);
  expect(result.usage.reasoningTokens).toBeGreaterThan(0);
  expect(result.usage.reasoningTokens).toBeLessThan(40);
  expect(result.usage.outputTokens).toBeLessThanOrEqual(40);
  const parts: StreamPart[] = [];
  for await (const part of thinking.stream(request)) parts.push(part);
  expect(parts.at(-1)).toMatchObject({ type: 'finish', usage: result.usage });
});

describe('thought signatures on function calls (Gemini 3, the simulator’s thinking model)', () => {
  const tools = [
    { name: 'get_time', parameters: { type: 'object', properties: {} } },
    { name: 'get_weather', parameters: { type: 'object', properties: {} } },
  ];
  const ask = { role: 'user' as const, content: 'Use get_time and get_weather.' };

  /** The call's answer to its tool results, sent back with the assistant content as given. */
  function replay(assistant: AssistantContentPart[]): GenerateRequest {
    const calls = assistant.filter((part) => part.type === 'tool-call');
    return {
      messages: [
        ask,
        { role: 'assistant', content: assistant },
        {
          role: 'tool',
          content: calls.map((call) => ({
            type: 'tool-result' as const,
            toolCallId: call.type === 'tool-call' ? call.toolCallId : '',
            content: 'ok',
          })),
        },
      ],
      tools,
    };
  }

  it('carries the signature in the tool call id and sends it back, whole or streamed', async () => {
    const thinking = provider.languageModel('sim-gemini-thinking');
    const first = await thinking.generate({ messages: [ask], tools });
    const calls = first.content.filter((part) => part.type === 'tool-call');
    expect(calls.map((call) => call.type === 'tool-call' && call.toolName)).toEqual([
      'get_time',
      'get_weather',
    ]);
    const [signed, plain] = calls.map((call) => (call.type === 'tool-call' ? call.toolCallId : ''));
    // Only the step's first call is signed; both ids fit Anthropic's tool_use id pattern.
    expect(signed?.startsWith('llmq_fcs_')).toBe(true);
    expect(plain?.startsWith('llmq_fc_')).toBe(true);
    for (const id of [signed, plain]) expect(id).toMatch(/^[a-zA-Z0-9_-]+$/);
    const answer = await thinking.generate(replay(first.content));
    expect(answer.text).toContain('[sim] get_time returned: ok');

    const streamedCalls: string[] = [];
    for await (const part of thinking.stream({ messages: [ask], tools }))
      if (part.type === 'tool-call-start') streamedCalls.push(part.toolCallId);
    expect(streamedCalls[0]?.startsWith('llmq_fcs_')).toBe(true);
  });

  it('meets Gemini’s 400 when a client dropped the signature (the id replaced)', async () => {
    const thinking = provider.languageModel('sim-gemini-thinking');
    const first = await thinking.generate({ messages: [ask], tools });
    const renamed = first.content.map((part, index) =>
      part.type === 'tool-call' ? { ...part, toolCallId: `call_${index}` } : part,
    );
    const error = await thinking.generate(replay(renamed)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ statusCode: 400 });
    expect(String((error as Error).message)).toContain('missing a thought_signature');
  });
});
