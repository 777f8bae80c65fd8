import { startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
});
afterAll(async () => {
  await system?.stop();
});
beforeEach(() => system.simulator.reset());

const prompt = { model: 'sim-gpt-fast', prompt: 'echo: deferrable work', max_tokens: 20 };

function callsOf(jobId: string) {
  return system.simulator
    .counters()
    .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
}

async function costByTier() {
  const usage = await system.request('GET', '/v1/usage?group_by=tier');
  expect(usage.status).toBe(200);
  return usage.body.cost_by_tier_usd as Record<string, number>;
}

describe('cost tiers through the API and a worker process', () => {
  it('runs a job with a 2 s deadline on standard: no cheaper tier can meet it', async () => {
    const before = await costByTier();
    const jobId = await system.submit({ ...prompt, deadline_ms: 2_000 });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('completed');
    expect(job.result.attempts).toHaveLength(1);
    expect(job.result.attempts[0].service_tier).toBeUndefined();
    expect(callsOf(jobId).map((call) => call.serviceTier)).toEqual([undefined]);
    const after = await costByTier();
    expect(after.standard).toBeGreaterThan(before.standard ?? 0);
    expect(after.flex).toBe(before.flex);
  });

  it('runs a job with a loose deadline on flex, billed at flex prices and reported by tier', async () => {
    const before = await costByTier();
    const jobId = await system.submit({ ...prompt, deadline_ms: 3_600_000 });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('completed');
    expect(job.result.attempts).toEqual([
      expect.objectContaining({ outcome: 'success', service_tier: 'flex' }),
    ]);
    expect(callsOf(jobId)).toEqual([expect.objectContaining({ serviceTier: 'flex', status: 200 })]);
    const after = await costByTier();
    expect(after.flex).toBeCloseTo((before.flex ?? 0) + job.result.cost_usd, 9);
    expect(after.standard).toBe(before.standard);
  });

  it('holds a flex 429 storm, then falls back to standard before the deadline', async () => {
    system.simulator.configure({ models: { 'sim-gpt-fast': { flex: { status429: 1 } } } });
    const submittedAt = Date.now();
    const deadlineMs = 10_000;
    const jobId = await system.submit({ ...prompt, deadline_ms: deadlineMs });
    const job = await system.waitForJob(jobId, 20_000);
    expect(job.status).toBe('completed');
    const calls = callsOf(jobId);
    const flexCalls = calls.filter((call) => call.serviceTier === 'flex');
    // Held: several flex tries, all refused, then one standard answer.
    expect(flexCalls.length).toBeGreaterThan(1);
    expect(flexCalls.every((call) => call.status === 429 && call.flexRefused)).toBe(true);
    expect(calls.at(-1)).toMatchObject({ status: 200 });
    expect(calls.at(-1)?.serviceTier).toBeUndefined();
    expect(job.result.attempts.at(-1)).toMatchObject({ outcome: 'success' });
    expect(job.result.attempts.at(-1).service_tier).toBeUndefined();
    // Before the deadline: the answer's call started with room left for a standard call.
    expect(calls.at(-1)?.at ?? Number.POSITIVE_INFINITY).toBeLessThan(submittedAt + deadlineMs);
  });

  it('estimates the cost per tier and refuses a pin the job cannot run on', async () => {
    const estimate = await system.request('POST', '/v1/estimate', {
      ...prompt,
      complete_by: Math.floor(Date.now() / 1000) + 86_400,
    });
    expect(estimate.status).toBe(200);
    expect(estimate.body.service_tier).toBe('flex');
    expect(estimate.body.tiers.map((option: { tier: string }) => option.tier)).toEqual([
      'standard',
      'flex',
      'batch',
    ]);
    const refused = await system.request('POST', '/v1/jobs', { ...prompt, service_tier: 'batch' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('service_tier_unavailable');
    const both = await system.request('POST', '/v1/jobs', {
      ...prompt,
      deadline_ms: 1000,
      complete_by: 1_900_000_000,
    });
    expect(both.status).toBe(400);
  });
});
