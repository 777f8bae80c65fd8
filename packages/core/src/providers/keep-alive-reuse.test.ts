/**
 * How many connections an account's calls open, counted by a gateway in front of the simulator
 * over real HTTP: one per call in flight, reused by the next call however soon it comes.
 */
import { startSimulator } from '@llmq/llm-simulator';
import type { GenerateRequest } from './language-model';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider';
import { type Gateway, startGateway } from './test-support/gateway';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let simulator: Simulator;
let gateway: Gateway;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
});

beforeEach(async () => {
  simulator.reset();
  gateway = await startGateway(simulator.url);
});

afterEach(async () => {
  await gateway.close();
});

afterAll(async () => {
  await simulator?.close();
});

const request: GenerateRequest = { messages: [{ role: 'user', content: 'echo: hi' }] };

describe('keep-alive reuse', () => {
  it('serves sequential calls, whole and streamed, on one connection', async () => {
    const provider = createOpenAICompatibleProvider({
      id: 'c',
      apiKey: 'x',
      baseURL: `${gateway.url}/v1`,
    });
    const model = provider.languageModel('sim-local-llama');
    try {
      for (let call = 0; call < 20; call += 1) {
        // Each call starts as the previous one's answer ends.
        if (call % 2 === 0) await model.generate(request);
        else for await (const _part of model.stream(request));
      }
    } finally {
      await provider.close?.();
    }
    expect(simulator.counters().total).toBe(20);
    expect(gateway.connections()).toBe(1);
  });

  it('gives each of several callers one connection of its own', async () => {
    const provider = createOpenAICompatibleProvider({
      id: 'c',
      apiKey: 'x',
      baseURL: `${gateway.url}/v1`,
    });
    const model = provider.languageModel('sim-local-llama');
    try {
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          for (let call = 0; call < 10; call += 1) await model.generate(request);
        }),
      );
    } finally {
      await provider.close?.();
    }
    expect(simulator.counters().total).toBe(50);
    expect(gateway.connections()).toBe(5);
  });
});
