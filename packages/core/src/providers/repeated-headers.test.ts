/**
 * Headers an answer repeats (a gateway's beside the provider's), read through each adapter
 * from the simulator over real HTTP: a wait or a limit takes the most cautious value, a request
 * id keeps every value.
 */
import { startSimulator } from '@llmq/llm-simulator';
import { createAnthropicProvider } from './anthropic/anthropic-provider';
import { createOpenAIProvider } from './openai/openai-provider';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider';
import type { Provider } from './provider';
import { type Gateway, startGateway } from './test-support/gateway';
import { providerErrorOf } from './test-support/provider-error-of';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

interface AdapterCase {
  name: string;
  modelId: string;
  /** The header the provider sends its request id in. */
  requestIdHeader: string;
  createProvider(gatewayUrl: string): Provider;
}

const adapters: AdapterCase[] = [
  {
    name: 'openai',
    modelId: 'sim-gpt-fast',
    requestIdHeader: 'x-request-id',
    createProvider: (url) => createOpenAIProvider({ id: 'o', apiKey: 'x', baseURL: `${url}/v1` }),
  },
  {
    name: 'anthropic',
    modelId: 'sim-claude-fast',
    requestIdHeader: 'request-id',
    createProvider: (url) => createAnthropicProvider({ id: 'a', apiKey: 'x', baseURL: url }),
  },
  {
    name: 'openai-compatible',
    modelId: 'sim-local-llama',
    requestIdHeader: 'x-request-id',
    createProvider: (url) =>
      createOpenAICompatibleProvider({ id: 'c', apiKey: 'x', baseURL: `${url}/v1` }),
  },
];

let simulator: Simulator;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((each) => each.close()));
  simulator.reset();
});

afterAll(async () => {
  await simulator?.close();
});

async function behindGateway(
  adapter: AdapterCase,
  added: Record<string, string>,
): Promise<Provider> {
  const gateway: Gateway = await startGateway(simulator.url, added);
  const provider = adapter.createProvider(gateway.url);
  opened.push({ close: async () => provider.close?.() }, gateway);
  return provider;
}

describe.each(adapters)('$name adapter behind a gateway that repeats headers', (adapter) => {
  it('waits for the longest Retry-After and keeps both request ids', async () => {
    const provider = await behindGateway(adapter, {
      'retry-after': '3',
      'retry-after-ms': '3000',
      [adapter.requestIdHeader]: 'gateway-1',
    });
    const error = await providerErrorOf(
      provider.languageModel(adapter.modelId).generate({
        messages: [{ role: 'user', content: 'hi' }],
        headers: { 'x-sim-fault': '429', 'x-sim-retry-after': '1' },
      }),
    );
    const simulated = simulator.counters().recent[0];
    expect(simulated).toBeDefined();
    expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 3000 });
    // The provider's id first, then the gateway's, joined as HTTP joins a repeated header.
    expect(error.requestId).toMatch(/^\S+, gateway-1$/);
  });

  it('takes the least remaining and the latest reset of repeated rate-limit headers', async () => {
    simulator.configure({ models: { [adapter.modelId]: { rpm: 100 } } });
    const provider = await behindGateway(adapter, {
      'x-ratelimit-remaining-requests': '5',
      'x-ratelimit-reset-requests': '1m0s',
    });
    const result = await provider
      .languageModel(adapter.modelId)
      .generate({ messages: [{ role: 'user', content: 'echo: hi' }] });
    expect(result.rateLimit).toMatchObject({ remainingRequests: 5, resetRequestsMs: 60_000 });
  });
});
