import { startSimulator } from '@llmq/llm-simulator';
import { ModelCatalog, type ModelEntryInput } from '../catalog/model-catalog';
import { deploymentsOf } from '../catalog/model-deployments';
import { defaultProviderAccounts } from '../config/default-catalog';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { routeJob } from '../routing/route-job';
import { createRequestExecutor } from './execute-routed-request';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let registry: ProviderRegistry;

const primary: ModelEntryInput = {
  id: 'primary',
  provider: 'simulator-openai',
  upstream_model: 'sim-primary',
  tier: 'fast',
  context_window: 100_000,
  max_output_tokens: 1000,
  pricing: { input: 1, output: 1, cached_input: 1 },
  expected_latency_ms: 1_000,
  fallbacks: ['secondary'],
};
const catalog = new ModelCatalog([
  primary,
  { ...primary, id: 'secondary', upstream_model: 'sim-secondary', fallbacks: [] },
]);
const request = { messages: [{ role: 'user' as const, content: 'echo: hi' }], maxTokens: 20 };

beforeAll(async () => {
  simulator = await startSimulator();
  registry = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 5000 }),
  );
});
afterAll(async () => {
  await registry.close();
  await simulator.close();
});
beforeEach(() => simulator.reset());

/** An executor that records which catalog models it made an adapter for. */
function executor() {
  const made: string[] = [];
  const execute = createRequestExecutor({
    catalog,
    resolveModel: (entry) => {
      made.push(entry.id);
      return registry.languageModel(entry.provider, entry.upstream_model);
    },
    policy: { maxRetriesPerModel: 0, baseDelayMs: 1, maxDelayMs: 1, maxInlineWaitMs: 1000 },
  });
  const run = async () => {
    const route = routeJob(catalog, { model: 'primary', request });
    if (!route.ok) throw new Error('primary did not route');
    expect(route.decision.chain).toEqual(['primary', 'secondary']);
    return execute({ decision: route.decision, request });
  };
  return { made, run };
}

describe('createRequestExecutor', () => {
  it('makes a fallback’s adapter only when the chain reaches it', async () => {
    const answered = executor();
    const outcome = await answered.run();
    expect(outcome.kind).toBe('success');
    expect(answered.made).toEqual(['primary']);

    simulator.configure({ models: { 'sim-primary': { faults: { status500: 1 } } } });
    const fellBack = executor();
    const fallback = await fellBack.run();
    expect(fallback.kind).toBe('success');
    expect(fallback.attempts.map((attempt) => [attempt.model, attempt.outcome])).toEqual([
      ['primary', 'error'],
      ['secondary', 'success'],
    ]);
    expect(fellBack.made).toEqual(['primary', 'secondary']);
  });

  it('makes only the adapter of the deployment a call goes to', async () => {
    const spread = new ModelCatalog([
      {
        ...primary,
        id: 'spread',
        fallbacks: [],
        deployments: [
          { id: 'east', upstream_model: 'sim-east' },
          { id: 'west', upstream_model: 'sim-west' },
        ],
      },
    ]);
    const made: Array<string | undefined> = [];
    const execute = createRequestExecutor({
      catalog: spread,
      resolveModel: (_entry, deployment) => {
        made.push(deployment.id);
        return registry.languageModel(deployment.account, deployment.upstream_model);
      },
      // The second deployment first: the chain's link, made on the first, moves to it.
      chooser: {
        order: async (entry) => [...deploymentsOf(entry)].reverse(),
        track: () => () => undefined,
      },
      policy: { maxRetriesPerModel: 0, baseDelayMs: 1, maxDelayMs: 1, maxInlineWaitMs: 1000 },
    });
    const route = routeJob(spread, { model: 'spread', request });
    expect(route.ok).toBe(true);
    if (!route.ok) return;
    const outcome = await execute({ decision: route.decision, request });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts.map((attempt) => attempt.deployment)).toEqual(['west']);
    expect(made).toEqual(['west']);
  });
});
