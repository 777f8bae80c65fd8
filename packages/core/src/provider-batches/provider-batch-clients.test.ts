import { startSimulator } from '@llmq/llm-simulator';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { costOfUsage } from '../catalog/model-pricing';
import { AnthropicBatchClient } from './anthropic-batch-client';
import { OpenAIBatchClient } from './openai-batch-client';
import type {
  ProviderBatchClient,
  ProviderBatchRequest,
  ProviderBatchResult,
} from './provider-batch-client';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let now = 1_800_000_000_000;
const catalog = loadModelCatalog();

beforeAll(async () => {
  simulator = await startSimulator({ clock: () => now });
});
afterAll(async () => {
  await simulator.close();
});
beforeEach(() => {
  simulator.reset();
  simulator.configure({ batches: { turnaroundMs: 60_000 } });
});

function requests(count: number): ProviderBatchRequest[] {
  return Array.from({ length: count }, (_, index) => ({
    customId: `line-${index}`,
    request: { messages: [{ role: 'user', content: `echo: line ${index}` }], maxTokens: 20 },
  }));
}

async function collect(iterable: AsyncIterable<ProviderBatchResult>) {
  const items: ProviderBatchResult[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const openai = () =>
  new OpenAIBatchClient({
    provider: 'simulator-openai',
    apiKey: 'sim',
    baseURL: `${simulator.url}/v1`,
  });
const anthropic = () =>
  new AnthropicBatchClient({
    provider: 'simulator-anthropic',
    apiKey: 'sim',
    baseURL: simulator.url,
  });

async function runToEnd(client: ProviderBatchClient, model: string, count: number) {
  const id = await client.submit(model, requests(count));
  const started = await client.state(id);
  expect(started).toMatchObject({ ended: false, total: count });
  now += 60_000;
  expect(await client.state(id)).toMatchObject({ ended: true, done: count });
  return collect(client.results(id));
}

describe.each([
  ['OpenAI Batch API', openai, 'sim-gpt-fast', 10_000],
  ['Anthropic Message Batches', anthropic, 'sim-claude-fast', 2_000],
])('provider batches through the %s', (_name, client, model, count) => {
  it(`maps every one of ${count} results back exactly once, priced at batch prices`, async () => {
    const results = await runToEnd(client(), model, count);
    expect(results).toHaveLength(count);
    const ids = new Set(results.map((result) => result.customId));
    expect(ids.size).toBe(count);
    expect(ids.has('line-0') && ids.has(`line-${count - 1}`)).toBe(true);
    const entry = catalog.resolve(model);
    expect(entry?.service_tiers.batch).toBeDefined();
    if (!entry) return;
    let standard = 0;
    let batch = 0;
    for (const result of results) {
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.result.text).toBe(`line ${result.customId.slice('line-'.length)}`);
      standard += costOfUsage(entry, result.result.usage);
      batch += costOfUsage(entry, result.result.usage, 'batch');
    }
    expect(batch).toBeGreaterThan(0);
    expect(batch / standard).toBeCloseTo(0.5, 2);
  });

  it('reports lines of a cancelled batch not run, and failed lines as errors', async () => {
    // Half the lines fail (drawn per batch id and line): among the 20 that run, none failing has odds of 1 in 10^6.
    simulator.configure({ batches: { lineFailureRate: 0.5 } });
    const instance = client();
    const id = await instance.submit(model, requests(40));
    now += 30_000;
    await instance.cancel(id);
    const state = await instance.state(id);
    expect(state.ended).toBe(true);
    const results = await collect(instance.results(id));
    expect(results).toHaveLength(40);
    const notRun = results.filter((result) => !result.ok && result.reason === 'not_run');
    const errors = results.filter((result) => !result.ok && result.reason === 'error');
    expect(notRun).toHaveLength(20);
    expect(errors.length).toBeGreaterThan(0);
    expect(results.filter((result) => result.ok).length + errors.length).toBe(20);
  });
});
