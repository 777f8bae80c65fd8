import type { SimulatorConfigSnapshot } from '../server/simulator-state';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { openAiClient } from '../test-support/sdk-clients';

describe('service_tier: "flex"', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator();
  });

  afterEach(async () => {
    await simulator.close();
  });

  const request = {
    model: 'sim-gpt-fast',
    messages: [{ role: 'user' as const, content: 'Summarise a ledger.' }],
  };

  it('answers on the flex tier and says so', async () => {
    const completion = await openAiClient(simulator).chat.completions.create({
      ...request,
      service_tier: 'flex',
    });
    expect(completion.service_tier).toBe('flex');
    const standard = await openAiClient(simulator).chat.completions.create(request);
    expect(standard.service_tier).toBe('default');
    const recent = simulator.counters().recent;
    expect(recent.map((call) => call.serviceTier)).toEqual(['flex', undefined]);
  });

  it('refuses flex calls with 429 resource_unavailable at the configured rate, not standard ones', async () => {
    simulator.configure({ models: { 'sim-gpt-fast': { flex: { status429: 1 } } } });
    const client = openAiClient(simulator);
    await expect(
      client.chat.completions.create({ ...request, service_tier: 'flex' }),
    ).rejects.toMatchObject({ status: 429, code: 'resource_unavailable' });
    await expect(client.chat.completions.create(request)).resolves.toMatchObject({
      service_tier: 'default',
    });
    expect(simulator.counters().recent[0]).toMatchObject({ status: 429, flexRefused: true });
  });

  it('keeps the flex profile per model, merged field by field', async () => {
    simulator.configure({ models: { 'sim-gpt-fast': { flex: { extraLatencyMs: 300 } } } });
    simulator.configure({ models: { 'sim-gpt-fast': { flex: { status429: 0.2 } } } });
    const config = (await (
      await fetch(`${simulator.url}/_sim/config`)
    ).json()) as SimulatorConfigSnapshot;
    expect(config.models['sim-gpt-fast']?.flex).toEqual({ status429: 0.2, extraLatencyMs: 300 });
    expect(config.defaultProfile.flex).toEqual({ status429: 0, extraLatencyMs: 0 });
  });
});
