import { startSimulator } from '@llmq/llm-simulator';
import type { GenerateRequest, LanguageModel, StreamPart } from '../language-model';
import type { Provider } from '../provider';
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
