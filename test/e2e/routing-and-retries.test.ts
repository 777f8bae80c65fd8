import { waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

beforeAll(async () => {
  system = await startSystem({
    workers: 2,
    workerEnv: {
      PROVIDER_TIMEOUT_MS: '1000',
      RETRY_BASE_DELAY_MS: '20',
      RETRY_MAX_INLINE_WAIT_MS: '1500',
    },
  });
});
afterAll(async () => {
  await system?.stop();
});
afterEach(() => system.simulator.reset());

function callsOf(jobId: string) {
  return system.simulator
    .counters()
    .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
}

async function firstCallOf(jobId: string) {
  await waitFor(() => (callsOf(jobId).length > 0 ? true : undefined), {
    what: `a call of ${jobId}`,
  });
}

const englishAnalysis = `Analyze our last three incident reports and compare their root causes.
Explain step by step which monitoring gaps let each incident grow, evaluate the proposed fixes,
and write a detailed report with recommendations.
${'The database failover took longer than expected because replicas lagged behind. '.repeat(12)}`;
const chineseAnalysis = `请详细分析最近三次故障报告，比较它们的根本原因。首先解释每次故障扩大的监控缺口，然后推理并评估提出的修复方案，最后写一份全面的报告。
${'数据库故障切换比预期更慢，因为副本落后于主库。'.repeat(12)}`;

describe('retries and final errors', () => {
  it('fails a job at once on a provider 400: no retry, no fallback; it is listed as a dead letter and can be re-run', async () => {
    system.simulator.configure({ models: { 'sim-gpt-fast': { faults: { status400: 1 } } } });
    const jobId = await system.submit({ model: 'sim-gpt-fast', prompt: 'bad request' });
    const job = await system.waitForJob(jobId);
    expect(job).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'provider_bad_request', status_code: 400, provider: 'simulator-openai' },
    });
    expect(job.error.attempts).toHaveLength(1);
    expect(callsOf(jobId)).toHaveLength(1);

    // The dead-letter list is written just after the record's final transition: wait for it
    // rather than race it (the job reads failed a moment before it is listed).
    const dead = await waitFor(
      async () => {
        const answer = await system.request('GET', '/v1/dead-letters?limit=10');
        expect(answer.status).toBe(200);
        return answer.body.data.some((item: { id: string }) => item.id === jobId)
          ? answer
          : undefined;
      },
      { timeoutMs: 10_000, what: `${jobId} listed as a dead letter` },
    );
    expect(dead.body.data.map((item: { id: string }) => item.id)).toContain(jobId);

    system.simulator.configure({ models: { 'sim-gpt-fast': { faults: { status400: 0 } } } });
    const retry = await system.request('POST', `/v1/jobs/${jobId}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body.status).toBe('queued');
    const rerun = await system.waitForJob(jobId);
    expect(rerun.status).toBe('completed');
    expect(rerun.result.attempts).toEqual([expect.objectContaining({ outcome: 'success' })]);
    const after = await system.request('GET', '/v1/dead-letters');
    expect(after.body.data.map((item: { id: string }) => item.id)).not.toContain(jobId);
    const again = await system.request('POST', `/v1/jobs/${jobId}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('job_not_retryable');
  });

  it('cuts a hanging upstream with the per-call timeout and retries it', async () => {
    system.simulator.configure({ models: { 'sim-claude-strong': { faults: { hang: 1 } } } });
    const jobId = await system.submit({
      model: 'sim-claude-strong',
      prompt: 'hang',
      fallbacks: false,
    });
    await firstCallOf(jobId);
    system.simulator.configure({ models: { 'sim-claude-strong': { faults: { hang: 0 } } } });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('completed');
    const [timedOut, answered] = job.result.attempts;
    expect(timedOut).toMatchObject({ outcome: 'error', error_code: 'timeout' });
    expect(timedOut.latency_ms).toBeGreaterThanOrEqual(950);
    expect(timedOut.latency_ms).toBeLessThan(5000);
    expect(answered).toMatchObject({ outcome: 'success', model: 'sim-claude-strong' });
  });

  it('parks a job in the delayed set for a long retry-after instead of holding a worker', async () => {
    system.simulator.configure({
      models: { 'sim-gpt-strong': { faults: { status429: 1, retryAfterSeconds: 3 } } },
    });
    const jobId = await system.submit({
      model: 'sim-gpt-strong',
      prompt: 'wait',
      fallbacks: false,
    });
    await firstCallOf(jobId);
    system.simulator.configure({ models: { 'sim-gpt-strong': { faults: { status429: 0 } } } });
    // While parked the job reads as queued, with the 429 as its last error.
    const queued = await waitFor(
      async () => {
        const { body } = await system.request('GET', `/v1/jobs/${jobId}`);
        return body.status === 'queued' || body.status === 'completed' ? body : undefined;
      },
      { what: 'the job to be parked' },
    );
    expect(queued).toMatchObject({
      status: 'queued',
      last_error: { code: 'provider_rate_limited' },
    });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('completed');
    // Started twice (parked in between), one BullMQ attempt spent.
    expect(job.attempts).toBe(2);
    const [limited, answered] = callsOf(jobId);
    expect(limited?.status).toBe(429);
    expect(answered?.status).toBe(200);
    expect((answered?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(3000);
    expect(job.result.attempts.map((attempt: { outcome: string }) => attempt.outcome)).toEqual([
      'error',
      'success',
    ]);
  });
});

describe('routing', () => {
  it('sends a short greeting to the fast tier and long analysis (English and Chinese) to the strong tier', async () => {
    const greeting = await system.waitForJob(
      await system.submit({ model: 'auto', prompt: 'Hi! How are you?' }),
    );
    expect(greeting.status).toBe('completed');
    expect(greeting.model).toBe('auto');
    expect(greeting.result.routing).toMatchObject({ mode: 'auto', tier: 'fast' });
    for (const prompt of [englishAnalysis, chineseAnalysis]) {
      const job = await system.waitForJob(await system.submit({ model: 'auto', prompt }));
      expect(job.status).toBe('completed');
      expect(job.result.model).toBe('sim-gpt-strong');
      expect(job.result.routing).toMatchObject({
        mode: 'auto',
        tier: 'strong',
        reason: expect.stringMatching(/complexity score \d+ .*→ strong tier/),
      });
    }
  });

  it('respects requirements.max_cost_usd, or rejects the job with a clear error', async () => {
    const refused = await system.request('POST', '/v1/jobs', {
      model: 'sim-claude-strong',
      prompt: 'hello',
      max_tokens: 4000,
      requirements: { max_cost_usd: 0.01 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'cost_limit_exceeded',
      message: expect.stringContaining('max_cost_usd'),
      details: { max_cost_usd: 0.01, estimated_cost_usd: expect.any(Number) },
    });
    const capped = await system.waitForJob(
      await system.submit({
        model: 'auto',
        prompt: englishAnalysis,
        max_tokens: 500,
        requirements: { max_cost_usd: 0.0005 },
      }),
    );
    expect(capped.status).toBe('completed');
    expect(capped.result.routing.tier).not.toBe('strong');
    expect(capped.result.cost_usd).toBeLessThanOrEqual(0.0005);
  });

  it('refuses a real model whose provider has no key with a clear 400', async () => {
    const response = await system.request('POST', '/v1/jobs', { model: 'gpt-5', prompt: 'hi' });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'model_unavailable',
      message: expect.stringContaining('no API key'),
    });
  });
});

describe('hedging', () => {
  it('returns the faster answer and records both costs', async () => {
    system.simulator.configure({ models: { 'sim-gpt-strong': { latencyMs: 2500 } } });
    const jobId = await system.submit({
      model: 'sim-gpt-strong',
      prompt: 'race',
      hedge: { model: 'sim-gpt-fast' },
    });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('completed');
    expect(job.result.model).toBe('sim-gpt-fast');
    const [slow, fast] = job.result.attempts;
    expect(slow).toMatchObject({
      model: 'sim-gpt-strong',
      outcome: 'aborted',
      hedge: 'primary',
      cost_estimated: true,
    });
    expect(fast).toMatchObject({ model: 'sim-gpt-fast', outcome: 'success', hedge: 'secondary' });
    expect(slow.cost_usd).toBeGreaterThan(0);
    expect(fast.cost_usd).toBeGreaterThan(0);
    expect(job.result.cost_usd).toBeCloseTo(slow.cost_usd + fast.cost_usd, 8);
    expect(job.result.timings.provider_ms).toBeLessThan(2000);
  });
});
