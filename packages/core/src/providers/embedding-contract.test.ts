import { startSimulator } from '@llmq/llm-simulator';
import { createAzureOpenAIProvider } from './azure-openai/azure-openai-provider';
import type { EmbeddingModel } from './embedding-model';
import { createGeminiProvider } from './gemini/gemini-provider';
import { createOpenAIProvider } from './openai/openai-provider';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider';
import type { Provider } from './provider';
import { isProviderError } from './provider-error';
import { createProviderRegistry } from './provider-registry';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** Every adapter with embeddings, against the simulator's `/v1/embeddings` over HTTP. */
const adapters = [
  {
    name: 'openai (official SDK)',
    createProvider: (url: string) =>
      createOpenAIProvider({ id: 'sim-openai', apiKey: 'test', baseURL: `${url}/v1` }),
  },
  {
    name: 'openai-compatible',
    createProvider: (url: string) =>
      createOpenAICompatibleProvider({ id: 'sim-local', apiKey: 'test', baseURL: `${url}/v1/` }),
  },
  {
    name: 'azure-openai (AzureOpenAI client, deployment in the path)',
    createProvider: (url: string) =>
      createAzureOpenAIProvider({ id: 'sim-azure', apiKey: 'test', baseURL: url }),
  },
  {
    // The Gemini API reports no usage for embeddings: the adapter counts the inputs with
    // o200k, which is what the simulator counts too.
    name: 'gemini (@google/genai, batchEmbedContents)',
    createProvider: (url: string) =>
      createGeminiProvider({ id: 'sim-gemini', apiKey: 'test', baseURL: url }),
  },
];

const embeddingModelId = 'sim-embed-small';

function cosine(left: number[], right: number[]): number {
  let dot = 0;
  let leftLength = 0;
  let rightLength = 0;
  for (let index = 0; index < left.length; index += 1) {
    dot += left[index]! * right[index]!;
    leftLength += left[index]! ** 2;
    rightLength += right[index]! ** 2;
  }
  return dot / Math.sqrt(leftLength * rightLength);
}

let simulator: Simulator;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await simulator?.close();
});

describe.each(adapters)('$name embedding model', (adapter) => {
  let provider: Provider;
  let model: EmbeddingModel;

  beforeAll(() => {
    provider = adapter.createProvider(simulator.url);
    const embeddingModel = provider.embeddingModel?.(embeddingModelId);
    if (embeddingModel === undefined) throw new Error(`${adapter.name} has no embeddings`);
    model = embeddingModel;
  });

  afterAll(async () => {
    await provider.close?.();
  });

  beforeEach(() => {
    simulator.reset();
  });

  it('answers one vector per input, in input order, with the usage the simulator counted', async () => {
    const inputs = [
      'What is the capital of France?',
      'Bake bread at home',
      "what's the capital of france",
    ];
    const result = await model.embed({ inputs });
    expect(model).toMatchObject({ provider: provider.id, modelId: embeddingModelId });
    expect(result.embeddings).toHaveLength(3);
    for (const vector of result.embeddings) expect(vector).toHaveLength(256);
    expect(result.responseModel).toBe(embeddingModelId);
    expect(result.usage.inputTokens).toBe(simulator.counters().inputTokens);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    const [capital, bread, paraphrase] = result.embeddings as [number[], number[], number[]];
    // Order is kept: the paraphrase sits next to its original, far from the unrelated text.
    expect(cosine(capital, paraphrase)).toBeGreaterThan(0.9);
    expect(cosine(capital, bread)).toBeLessThan(0.5);
  });

  it('asks for shorter vectors when told to', async () => {
    const result = await model.embed({ inputs: ['short please'], dimensions: 64 });
    expect(result.embeddings[0]).toHaveLength(64);
  });

  it('maps an upstream failure to a retryable ProviderError', async () => {
    const error = await model.embed({ inputs: ['x'], headers: { 'x-sim-fault': '503' } }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isProviderError(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 503, isRetryable: true, provider: provider.id });
  });
});

describe('ProviderRegistry.embeddingModel', () => {
  it('hands out embedding models and names kinds without them', async () => {
    const registry = createProviderRegistry([
      { kind: 'openai', id: 'openai', apiKey: 'k' },
      { kind: 'anthropic', id: 'anthropic', apiKey: 'k' },
    ]);
    expect(registry.embeddingModel('openai', 'text-embedding-3-small').modelId).toBe(
      'text-embedding-3-small',
    );
    expect(() => registry.embeddingModel('anthropic', 'x')).toThrow(/no embedding models/);
    expect(() => registry.embeddingModel('missing', 'x')).toThrow(/No provider "missing"/);
    await registry.close();
  });
});
