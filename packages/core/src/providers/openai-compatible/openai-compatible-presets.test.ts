import { startSimulator } from '@llmq/llm-simulator';
import { isProviderError } from '../provider-error';
import { providerErrorOf } from '../test-support/provider-error-of';
import { openAICompatiblePresets } from './openai-compatible-presets';
import { createOpenAICompatibleProvider } from './openai-compatible-provider';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

let simulator: Simulator;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await simulator?.close();
});

beforeEach(() => simulator.reset());

describe('OpenAI-compatible presets', () => {
  it('give every hosted service an https base URL and a key variable, and local servers none', () => {
    for (const [name, preset] of Object.entries(openAICompatiblePresets)) {
      const local = name === 'vllm' || name === 'ollama';
      expect(new URL(preset.baseURL).protocol).toBe(local ? 'http:' : 'https:');
      expect(preset.apiKeyEnv === undefined).toBe(local);
      expect(preset.refusedParameters).toContain('verbosity');
    }
  });

  it('refuse a field the server refuses before any call, and send the rest', async () => {
    // The simulator stands in for an Ollama server at the preset's quirks.
    const provider = createOpenAICompatibleProvider({
      id: 'ollama',
      preset: 'ollama',
      baseURL: `${simulator.url}/v1`,
      apiKey: 'x',
    });
    try {
      const model = provider.languageModel('sim-local-llama');
      const refused = await model
        .generate({ messages: [{ role: 'user', content: 'echo: hi' }], n: 2 })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(isProviderError(refused) && refused).toMatchObject({
        code: 'unsupported_parameter',
        statusCode: 400,
        isRetryable: false,
      });
      expect(String((refused as Error).message)).toContain('"n"');
      expect(simulator.counters().total).toBe(0);
      const answer = await model.generate({
        messages: [{ role: 'user', content: 'echo: hi' }],
        seed: 7,
      });
      expect(answer.text).toBe('hi');
    } finally {
      await provider.close?.();
    }
  });

  it('adds a configured refusal to the preset, and a preset URL stands when none is given', async () => {
    const provider = createOpenAICompatibleProvider({
      id: 'vllm',
      preset: 'vllm',
      baseURL: `${simulator.url}/v1`,
      refusedParameters: ['seed'],
    });
    try {
      const refused = await provider
        .languageModel('sim-local-llama')
        .generate({ messages: [{ role: 'user', content: 'hi' }], seed: 1 })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'unsupported_parameter' });
    } finally {
      await provider.close?.();
    }
    const groq = createOpenAICompatibleProvider({ id: 'groq', preset: 'groq', apiKey: 'k' });
    expect(groq.languageModel('llama-3.3-70b-versatile').provider).toBe('groq');
    await groq.close?.();
  });
});

describe("the mistral preset's random_seed", () => {
  let mistralSimulator: Simulator;

  beforeAll(async () => {
    // A model that takes the seed as Mistral's API does.
    mistralSimulator = await startSimulator({
      models: { 'sim-mistral': { capabilities: { seedField: 'random_seed' } } },
    });
  });
  afterAll(async () => mistralSimulator?.close());

  const ask = (seed: number) => ({
    messages: [{ role: 'user' as const, content: 'Tell me a story.' }],
    temperature: 0.9,
    seed,
  });

  it('sends seed as random_seed, whole or streamed, where the seed under its own name is refused', async () => {
    const mistral = createOpenAICompatibleProvider({
      id: 'mistral',
      preset: 'mistral',
      baseURL: `${mistralSimulator.url}/v1`,
      apiKey: 'x',
    });
    const plain = createOpenAICompatibleProvider({
      id: 'plain',
      baseURL: `${mistralSimulator.url}/v1`,
      apiKey: 'x',
    });
    try {
      const model = mistral.languageModel('sim-mistral');
      const seven = await model.generate(ask(7));
      // Deterministic per seed: the seed reached the server.
      expect((await model.generate(ask(7))).text).toBe(seven.text);
      expect((await model.generate(ask(8))).text).not.toBe(seven.text);
      let streamed = '';
      for await (const part of model.stream(ask(7)))
        if (part.type === 'text-delta') streamed += part.delta;
      expect(streamed).toBe(seven.text);

      // Sent as `seed`, Mistral's API refuses it (422 extra_forbidden): what the preset avoids.
      const refused = await plain
        .languageModel('sim-mistral')
        .generate(ask(7))
        .catch((error: unknown) => error);
      expect(isProviderError(refused) && refused).toMatchObject({ statusCode: 422 });
      expect(String((refused as Error).message)).toContain('Extra inputs are not permitted');
    } finally {
      await Promise.all([mistral.close?.(), plain.close?.()]);
    }
  });
});

describe("Mistral's error bodies", () => {
  let mistralSimulator: Simulator;

  beforeAll(async () => {
    // A model that answers errors as Mistral's API does.
    mistralSimulator = await startSimulator({
      models: {
        'sim-mistral': { capabilities: { seedField: 'random_seed', errorShape: 'mistral' } },
      },
    });
  });
  afterAll(async () => mistralSimulator?.close());

  it('read as the failure kind and the words Mistral gave, not its raw JSON', async () => {
    const plain = createOpenAICompatibleProvider({
      id: 'plain',
      baseURL: `${mistralSimulator.url}/v1`,
      apiKey: 'x',
    });
    try {
      const model = plain.languageModel('sim-mistral');
      const messages = [{ role: 'user' as const, content: 'hi' }];
      // The 422 of a field Mistral does not know: pydantic's errors inside `message`.
      const refused = await providerErrorOf(model.generate({ messages, seed: 7 }));
      expect(refused).toMatchObject({ code: 'unprocessable', statusCode: 422, isRetryable: false });
      expect(refused.message).toBe('plain: HTTP 422: body.seed: Extra inputs are not permitted');
      // A rate limit: `{object: "error", message, type: "rate_limited", code: "1300"}`.
      const limited = await providerErrorOf(
        model.generate({ messages, headers: { 'x-sim-fault': '429', 'x-sim-retry-after': '2' } }),
      );
      expect(limited).toMatchObject({
        code: 'rate_limited',
        retryAfterMs: 2000,
        isRetryable: true,
      });
      expect(limited.message).toMatch(/^plain: HTTP 429: Simulated rate limit reached/);
    } finally {
      await plain.close?.();
    }
  });
});
