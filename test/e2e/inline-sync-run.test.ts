import { freePort, type ServiceProcess, waitFor } from '@llmq/testing';
import { apiKey, startSystem } from './system-harness';

/**
 * Sync jobs run in the API process (`INLINE_CONCURRENCY`): taken by the accept when the
 * interactive lane has nothing waiting, run with the worker's pipeline, answered through the
 * same announced end as a worker's job; everything else (a backlog, a retry, a capped start)
 * stays with the workers. Where a job ran is read from the provider-call counter each process
 * serves (`llm_requests_total`): the API's counts only its inline runs.
 */
type System = Awaited<ReturnType<typeof startSystem>>;

const metricsToken = 'e2e-inline-metrics-token-01';
const adminKey = 'e2e-admin-key-for-inline-runs-0001';

/** `llm_requests_total` of one model and status on a `/metrics` page (0 when absent). */
async function providerCalls(url: string, model: string, status = 'success'): Promise<number> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${metricsToken}` } });
  expect(response.status).toBe(200);
  const text = await response.text();
  const line = text
    .split('\n')
    .find((entry) => entry.startsWith(`llm_requests_total{model="${model}",status="${status}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** A worker with a known metrics port, ready once it serves `/healthz`. */
async function startWorker(system: System): Promise<{ worker: ServiceProcess; metrics: string }> {
  const port = await freePort();
  const worker = system.startWorker({
    WORKER_METRICS_PORT: String(port),
    WORKER_METRICS_HOST: '127.0.0.1',
  });
  const metrics = `http://127.0.0.1:${port}/metrics`;
  await waitFor(
    async () => {
      const response = await fetch(metrics.replace('/metrics', '/healthz')).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    { timeoutMs: 20_000, what: 'the worker to be ready' },
  );
  return { worker, metrics };
}

function chat(model: string, content: string, headers: Record<string, string> = {}) {
  return (system: System) =>
    system.request(
      'POST',
      '/v1/chat/completions',
      { model, messages: [{ role: 'user', content }], max_tokens: 20 },
      headers,
    );
}

/** Provider calls the simulator received for one job. */
function callsOf(system: System, jobId: string | null): number {
  expect(jobId).toMatch(/^job_/);
  return system.simulator
    .counters()
    .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId).length;
}

describe('with INLINE_CONCURRENCY (default 50) and a worker', () => {
  let system: System;
  let workerMetrics: string;
  let apiMetrics: string;

  beforeAll(async () => {
    system = await startSystem({
      workers: 0,
      env: { METRICS_TOKEN: metricsToken },
      simulatorModels: { 'sim-gpt-strong': { latencyMs: 1500 } },
    });
    ({ metrics: workerMetrics } = await startWorker(system));
    apiMetrics = `${system.apiUrl}/metrics`;
  });
  afterAll(async () => {
    await system?.stop();
  });
  afterEach(() => system.simulator.reset());

  it('runs a sync chat job in the API and answers it, the worker never taking it', async () => {
    const before = await providerCalls(apiMetrics, 'sim-gpt-fast');
    const response = await chat('sim-gpt-fast', 'echo: run here')(system);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      object: 'chat.completion',
      model: 'sim-gpt-fast',
      choices: [{ index: 0, message: { role: 'assistant', content: 'run here' } }],
    });
    const jobId = response.headers.get('x-llmq-job-id');
    expect(callsOf(system, jobId)).toBe(1);
    const job = await system.request('GET', `/v1/jobs/${jobId}`);
    expect(job.body).toMatchObject({ status: 'completed', attempts: 1 });
    expect(await providerCalls(apiMetrics, 'sim-gpt-fast')).toBe(before + 1);
    expect(await providerCalls(workerMetrics, 'sim-gpt-fast')).toBe(0);
    // The runner's own metrics are the API's too: the circuits its runs use.
    const page = await (
      await fetch(apiMetrics, { headers: { Authorization: `Bearer ${metricsToken}` } })
    ).text();
    expect(page).toMatch(
      /^llm_circuit_state\{provider="simulator-openai",model="sim-gpt-fast"\} 0$/m,
    );
    // BullMQ completed it under the API's lock: nothing left active or waiting in the lane.
    const lane = `${system.prefix}:prompts-interactive`;
    await waitFor(
      async () => ((await system.redis.llen(`${lane}:active`)) === 0 ? true : undefined),
      {
        timeoutMs: 5000,
        what: 'the lane to be empty',
      },
    );
    expect(await system.redis.zscore(`${lane}:completed`, jobId as string)).not.toBeNull();
  });

  it('runs a job once for a client retry with the same Idempotency-Key', async () => {
    const send = chat('sim-gpt-strong', 'echo: once', { 'Idempotency-Key': 'inline-key-1' });
    const first = send(system);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [one, two] = await Promise.all([first, send(system)]);
    const three = await send(system);
    expect([one.status, two.status, three.status]).toEqual([200, 200, 200]);
    const jobId = one.headers.get('x-llmq-job-id');
    expect(two.headers.get('x-llmq-job-id')).toBe(jobId);
    expect(three.headers.get('x-llmq-job-id')).toBe(jobId);
    expect(three.body.choices[0].message.content).toBe('once');
    expect(callsOf(system, jobId)).toBe(1);
  });
});

describe('with jobs waiting in the lane', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ workers: 0, env: { METRICS_TOKEN: metricsToken } });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('queues a sync job behind them, as without inline runs', async () => {
    // A streamed job is never run in the API: with no worker it waits in the lane.
    const streamed = fetch(`${system.apiUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'sim-gpt-fast',
        stream: true,
        messages: [{ role: 'user', content: 'echo: streamed first' }],
      }),
    }).then((response) => response.text());
    const lane = `${system.prefix}:prompts-interactive`;
    const waiting = () => system.redis.zcard(`${lane}:prioritized`);
    await waitFor(async () => ((await waiting()) === 1 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the streamed job to wait',
    });
    const sync = chat('sim-gpt-fast', 'echo: behind it')(system);
    await waitFor(async () => ((await waiting()) === 2 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the sync job to wait',
    });
    expect(await system.redis.llen(`${lane}:active`)).toBe(0);
    const { metrics } = await startWorker(system);
    const response = await sync;
    expect(response.status).toBe(200);
    expect(response.body.choices[0].message.content).toBe('behind it');
    expect(await streamed).toContain('[DONE]');
    expect(await providerCalls(`${system.apiUrl}/metrics`, 'sim-gpt-fast')).toBe(0);
    expect(await providerCalls(metrics, 'sim-gpt-fast')).toBe(2);
  });
});

describe('with INLINE_CONCURRENCY=0', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({
      workers: 0,
      env: { METRICS_TOKEN: metricsToken },
      apiEnv: { INLINE_CONCURRENCY: '0' },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('never runs a job in the API', async () => {
    const { metrics } = await startWorker(system);
    for (const content of ['echo: a', 'echo: b']) {
      const response = await chat('sim-gpt-fast', content)(system);
      expect(response.status).toBe(200);
    }
    expect(await providerCalls(`${system.apiUrl}/metrics`, 'sim-gpt-fast')).toBe(0);
    expect(await providerCalls(metrics, 'sim-gpt-fast')).toBe(2);
  });
});

describe('a failed inline attempt', () => {
  let system: System;

  beforeAll(async () => {
    // No retry inside a run: a failed call fails the attempt, and BullMQ retries the job (the
    // model has no fallbacks).
    system = await startSystem({
      workers: 0,
      env: { METRICS_TOKEN: metricsToken, RETRY_MAX_PER_MODEL: '0' },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("is retried by BullMQ in the lane, where a worker's attempt answers it", async () => {
    system.simulator.configure({ models: { 'sim-local-llama': { faults: { status500: 1 } } } });
    const answer = chat('sim-local-llama', 'echo: second time lucky')(system);
    const lane = `${system.prefix}:prompts-interactive`;
    // The API's attempt failed: the job waits in the lane for its retry (no worker yet).
    await waitFor(
      async () =>
        (await system.redis.zcard(`${lane}:delayed`)) +
          (await system.redis.zcard(`${lane}:prioritized`)) ===
        1
          ? true
          : undefined,
      { timeoutMs: 10_000, what: 'the failed attempt to be retried in the lane' },
    );
    expect(await system.redis.llen(`${lane}:active`)).toBe(0);
    system.simulator.configure({ models: { 'sim-local-llama': { faults: { status500: 0 } } } });
    const { metrics } = await startWorker(system);
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.body.choices[0].message.content).toBe('second time lucky');
    expect(callsOf(system, response.headers.get('x-llmq-job-id'))).toBe(2);
    expect(await providerCalls(`${system.apiUrl}/metrics`, 'sim-local-llama', 'error')).toBe(1);
    expect(await providerCalls(metrics, 'sim-local-llama')).toBe(1);
  });
});

describe("a tenant's running-job cap", () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({
      workers: 1,
      env: { METRICS_TOKEN: metricsToken },
      apiEnv: { ADMIN_API_KEY: adminKey },
      simulatorModels: { 'sim-gpt-strong': { latencyMs: 1500 } },
    });
    const set = await system.request(
      'PUT',
      '/v1/admin/tenants/e2e/flow',
      { max_running_jobs: 1 },
      { Authorization: `Bearer ${adminKey}` },
    );
    expect(set.status).toBe(200);
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('hands a capped inline start back to the lane; a worker runs it once the slot frees', async () => {
    const first = chat('sim-gpt-strong', 'echo: first')(system);
    await waitFor(async () => (system.simulator.counters().recent.length > 0 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the first call',
    });
    const second = await chat('sim-gpt-strong', 'echo: second')(system);
    expect((await first).status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.choices[0].message.content).toBe('second');
    const calls = system.simulator.counters().recent.filter((c) => c.model === 'sim-gpt-strong');
    expect(calls).toHaveLength(2);
    // The second call started only once the first had ended.
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1400);
    // Both were taken by the API; the capped one went back to the lane and a worker ran it.
    expect(await providerCalls(`${system.apiUrl}/metrics`, 'sim-gpt-strong')).toBe(1);
  });
});

describe('an API stopped with SIGTERM', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({
      workers: 1,
      env: { METRICS_TOKEN: metricsToken },
      simulatorModels: { 'sim-gpt-strong': { latencyMs: 1500 } },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('finishes and answers the sync job it runs before it exits', async () => {
    const answer = chat('sim-gpt-strong', 'echo: before I go')(system);
    await waitFor(async () => (system.simulator.counters().recent.length > 0 ? true : undefined), {
      timeoutMs: 10_000,
      what: "the API's call",
    });
    const exited = system.api.stop('SIGTERM');
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.body.choices[0].message.content).toBe('before I go');
    expect(await exited).toBe(0);
    const jobId = response.headers.get('x-llmq-job-id');
    expect(callsOf(system, jobId)).toBe(1);
    expect(
      await system.redis.zscore(`${system.prefix}:prompts-interactive:completed`, jobId as string),
    ).not.toBeNull();
  });
});
