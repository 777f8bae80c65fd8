import { startSimulator } from '@llmq/llm-simulator';
import { ModelCatalog, type ModelEntryInput } from '../catalog/model-catalog';
import { defaultProviderAccounts } from '../config/default-catalog';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { routeJob } from '../routing/route-job';
import type { ChainLink } from './call-model';
import { createRequestExecutor } from './execute-routed-request';
import { runFlex } from './run-flex';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let registry: ProviderRegistry;

const flexEntry: ModelEntryInput = {
  id: 'flexible',
  provider: 'simulator-openai',
  upstream_model: 'sim-flexible',
  tier: 'fast',
  context_window: 100_000,
  max_output_tokens: 1000,
  pricing: { input: 2, output: 2, cached_input: 2 },
  service_tiers: {
    flex: { pricing: { input: 1, output: 1, cached_input: 1 }, expected_latency_ms: 2_000 },
  },
  expected_latency_ms: 1_000,
};
const catalog = new ModelCatalog([
  flexEntry,
  { ...flexEntry, id: 'rigid', upstream_model: 'sim-rigid', service_tiers: {} },
]);
const request = { messages: [{ role: 'user' as const, content: 'echo: hi' }], maxTokens: 20 };

function link(): ChainLink {
  const entry = catalog.resolve('flexible');
  if (!entry) throw new Error('flexible');
  return { entry, model: registry.languageModel(entry.provider, entry.upstream_model) };
}

/** A clock that only moves when the code under test sleeps. */
function fakeTime(start: number) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (milliseconds: number) => {
      sleeps.push(milliseconds);
      now += milliseconds;
    },
    sleeps,
  };
}

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

describe('runFlex', () => {
  it('answers on flex, priced at flex prices', async () => {
    const time = fakeTime(1_000_000);
    const outcome = await runFlex({ link: link(), request, deadline: 1_000_000 + 60_000, ...time });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts).toHaveLength(1);
    const [attempt] = outcome.attempts;
    expect(attempt).toMatchObject({ outcome: 'success', service_tier: 'flex' });
    const tokens = (attempt?.usage?.input_tokens ?? 0) + (attempt?.usage?.output_tokens ?? 0);
    expect(tokens).toBeGreaterThan(0);
    expect(attempt?.cost_usd).toBeCloseTo(tokens / 1_000_000, 10);
    expect(simulator.counters().recent.map((call) => call.serviceTier)).toEqual(['flex']);
  });

  it('holds a flex 429 storm while the deadline allows, then hands the job to standard in time', async () => {
    simulator.configure({ models: { 'sim-flexible': { flex: { status429: 1 } } } });
    const start = 1_000_000;
    const deadline = start + 30_000;
    const time = fakeTime(start);
    const outcome = await runFlex({ link: link(), request, deadline, holdDelayMs: 1_000, ...time });
    expect(outcome.kind).toBe('standard');
    // Waits 1, 2, 4, 8, then 10 s (the cap): 25 s. Another 10 s would leave no room for a
    // flex try (2 s) and a standard call (1 s) before the 30 s deadline.
    expect(time.sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 10_000]);
    expect(time.now() + 2_000 + 1_000).toBeLessThanOrEqual(deadline);
    expect(outcome.attempts).toHaveLength(6);
    expect(
      outcome.attempts.every(
        (attempt) =>
          attempt.service_tier === 'flex' && attempt.status_code === 429 && attempt.cost_usd === 0,
      ),
    ).toBe(true);
    expect(simulator.counters().byStatus).toEqual({ '429': 6 });
  });

  it('does not try flex when the deadline leaves no room for it and a standard call', async () => {
    const time = fakeTime(1_000_000);
    const outcome = await runFlex({ link: link(), request, deadline: 1_000_000 + 2_500, ...time });
    expect(outcome).toMatchObject({ kind: 'standard', attempts: [] });
    expect(simulator.counters().total).toBe(0);
  });
});

describe('a routed request with a flex phase', () => {
  it('falls back from a flex 429 storm to a standard answer, billed at standard prices', async () => {
    simulator.configure({ models: { 'sim-flexible': { flex: { status429: 1 } } } });
    const time = fakeTime(Date.now());
    const execute = createRequestExecutor({
      catalog,
      resolveModel: (entry) => registry.languageModel(entry.provider, entry.upstream_model),
      policy: { maxRetriesPerModel: 0, baseDelayMs: 1, maxDelayMs: 1, maxInlineWaitMs: 1000 },
      sleep: time.sleep,
    });
    const route = routeJob(catalog, { model: 'flexible', request });
    expect(route.ok).toBe(true);
    if (!route.ok) return;
    const outcome = await execute({
      decision: route.decision,
      request,
      flex: { deadline: Date.now() + 10_000 },
    });
    expect(outcome.kind).toBe('success');
    const last = outcome.attempts.at(-1);
    expect(last).toMatchObject({ outcome: 'success' });
    expect(last?.service_tier).toBeUndefined();
    const tokens = (last?.usage?.input_tokens ?? 0) + (last?.usage?.output_tokens ?? 0);
    expect(last?.cost_usd).toBeCloseTo((2 * tokens) / 1_000_000, 10);
    expect(outcome.attempts.slice(0, -1).every((attempt) => attempt.service_tier === 'flex')).toBe(
      true,
    );
    expect(outcome.attempts.length).toBeGreaterThan(1);
  });

  it('runs standard when the model at the head of the chain offers no flex tier', async () => {
    const execute = createRequestExecutor({
      catalog,
      resolveModel: (entry) => registry.languageModel(entry.provider, entry.upstream_model),
      policy: { maxRetriesPerModel: 0, baseDelayMs: 1, maxDelayMs: 1, maxInlineWaitMs: 1000 },
    });
    const route = routeJob(catalog, { model: 'rigid', request });
    expect(route.ok).toBe(true);
    if (!route.ok) return;
    const outcome = await execute({
      decision: route.decision,
      request,
      flex: { deadline: Date.now() + 3_600_000 },
    });
    expect(outcome.kind).toBe('success');
    expect(outcome.attempts).toHaveLength(1);
    expect(outcome.attempts[0]?.service_tier).toBeUndefined();
    expect(simulator.counters().recent.map((call) => call.serviceTier)).toEqual([undefined]);
  });
});
