/**
 * The completions capability of the adapters that have one, against the llmq simulator over
 * real HTTP (the OpenAI adapter through the official SDK).
 */
import { startSimulator } from '@llmq/llm-simulator';
import { createAzureOpenAIProvider } from './azure-openai/azure-openai-provider';
import type { CompletionModel } from './completion-model';
import { createOpenAIProvider } from './openai/openai-provider';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider';
import type { Provider } from './provider';
import { createProviderRegistry } from './provider-registry';
import { providerErrorOf } from './test-support/provider-error-of';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** The call timeout the suites that call the simulator use: no case here is about timeouts. */
const timeoutMs = 5000;

const adapters = [
  {
    name: 'openai',
    route: '/v1/completions',
    createProvider: (url: string) =>
      createOpenAIProvider({ id: 'sim-openai', apiKey: 'x', baseURL: `${url}/v1`, timeoutMs }),
  },
  {
    name: 'openai-compatible',
    route: '/v1/completions',
    createProvider: (url: string) =>
      createOpenAICompatibleProvider({
        id: 'sim-local',
        apiKey: 'x',
        baseURL: `${url}/v1/`,
        timeoutMs,
      }),
  },
  {
    name: 'azure-openai',
    route: '/openai/deployments/{deployment}/completions',
    createProvider: (url: string) =>
      createAzureOpenAIProvider({ id: 'sim-azure', apiKey: 'x', baseURL: url, timeoutMs }),
  },
];

let simulator: Simulator;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await simulator?.close();
});

describe.each(adapters)('$name completion model', (adapter) => {
  let provider: Provider;
  let model: CompletionModel;

  beforeAll(() => {
    provider = adapter.createProvider(simulator.url);
    const completionModel = provider.completionModel?.('sim-gpt-instruct');
    if (!completionModel) throw new Error('no completion model');
    model = completionModel;
  });

  afterAll(async () => {
    await provider.close?.();
  });

  beforeEach(() => simulator.reset());

  it('sends every prompt in one call and maps one choice to each prompt by index', async () => {
    const prompts = ['echo: alpha one', 'echo: beta two', 'echo: gamma three'];
    const result = await model.complete({
      prompts,
      maxTokens: 50,
      temperature: 0,
      headers: { 'x-llmq-job-id': `${adapter.name}-three-prompts` },
    });
    expect(result.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(result.choices.map((choice) => choice.text)).toEqual([
      'alpha one',
      'beta two',
      'gamma three',
    ]);
    expect(result.choices.every((choice) => choice.finishReason === 'stop')).toBe(true);
    expect(result.responseModel).toBe('sim-gpt-instruct');
    // Looked up by job id: an aborted call of an earlier test may still reach the simulator.
    const calls = simulator
      .counters()
      .recent.filter((call) => call.headers['x-llmq-job-id'] === `${adapter.name}-three-prompts`);
    expect(calls).toEqual([expect.objectContaining({ route: adapter.route, inputCount: 3 })]);
    expect(result.usage.inputTokens).toBeGreaterThanOrEqual(6);
    expect(result.usage.outputTokens).toBeGreaterThanOrEqual(6);
    expect(result.usage.totalTokens).toBe(result.usage.inputTokens + result.usage.outputTokens);
  });

  it('passes per-call headers and reports a 400 as a final provider error', async () => {
    const error = await providerErrorOf(
      model.complete({ prompts: ['hi'], headers: { 'x-sim-fault': '400' } }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.isRetryable).toBe(false);
  });

  it('reports a 429 as retryable with its retry-after', async () => {
    const error = await providerErrorOf(
      model.complete({
        prompts: ['hi', 'there'],
        headers: { 'x-sim-fault': '429', 'x-sim-retry-after': '2' },
      }),
    );
    expect(error.code).toBe('rate_limited');
    expect(error.isRetryable).toBe(true);
    expect(error.retryAfterMs).toBe(2000);
  });

  it('reports an unparseable answer as malformed and retryable', async () => {
    const error = await providerErrorOf(
      model.complete({ prompts: ['hi'], headers: { 'x-sim-fault': 'malformed' } }),
    );
    expect(error.code).toBe('malformed_response');
    expect(error.isRetryable).toBe(true);
  });

  it('aborts when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = model.complete({
      prompts: ['hi'],
      signal: controller.signal,
      headers: { 'x-sim-latency-ms': '500' },
    });
    setTimeout(() => controller.abort(), 20);
    const error = await providerErrorOf(pending);
    expect(error.code).toBe('aborted');
  });
});

describe('provider registry', () => {
  it('hands out completion models and refuses them for a provider without the API', async () => {
    const registry = createProviderRegistry([
      { kind: 'openai-compatible', id: 'local', apiKey: 'x', baseURL: `${simulator.url}/v1` },
      { kind: 'anthropic', id: 'claude', apiKey: 'x', baseURL: simulator.url },
    ]);
    try {
      const model = registry.completionModel('local', 'sim-local-llama');
      expect(model.provider).toBe('local');
      expect(model.modelId).toBe('sim-local-llama');
      expect(() => registry.completionModel('claude', 'sim-claude-fast')).toThrow(
        /has no completions API/,
      );
      expect(() => registry.completionModel('nope', 'x')).toThrow(/No provider "nope"/);
    } finally {
      await registry.close();
    }
  });
});
