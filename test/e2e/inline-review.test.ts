import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, repositoryRoot, waitFor } from '@llmq/testing';
import { apiKey, startSystem } from './system-harness';

/**
 * The review of sync jobs run in the API process (`INLINE_CONCURRENCY`, session 16): paths the
 * first build's tests left out. Where no worker runs, an answer proves the API ran the job.
 */
type System = Awaited<ReturnType<typeof startSystem>>;

const metricsToken = 'e2e-inline-review-metrics-token';

async function metricsPage(url: string): Promise<string> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${metricsToken}` } });
  expect(response.status).toBe(200);
  return response.text();
}

/** One sample of a `/metrics` page: the line that starts with `series` (0 when absent). */
async function sample(url: string, series: string): Promise<number> {
  const line = (await metricsPage(url)).split('\n').find((entry) => entry.startsWith(series));
  return line ? Number(line.split(' ').pop()) : 0;
}

function chat(system: System, model: string, content: string) {
  return system.request('POST', '/v1/chat/completions', {
    model,
    messages: [{ role: 'user', content }],
    max_tokens: 20,
  });
}

function callsOf(system: System, jobId: string | null): number {
  expect(jobId).toMatch(/^job_/);
  return system.simulator
    .counters()
    .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId).length;
}

describe('a sync job run in the API for longer than its lock', () => {
  let system: System;
  let workerMetrics: string;

  beforeAll(async () => {
    // A 1 s lock, a worker looking for stalled jobs every 0.5 s, a 4 s call: unless the API
    // renews the lock, the worker's check moves the job back and a worker runs it again.
    system = await startSystem({
      workers: 0,
      env: { METRICS_TOKEN: metricsToken, LOCK_DURATION_MS: '1000' },
      workerEnv: { STALLED_INTERVAL_MS: '500' },
      simulatorModels: { 'sim-gpt-strong': { latencyMs: 4000 } },
    });
    const port = await freePort();
    system.startWorker({ WORKER_METRICS_PORT: String(port), WORKER_METRICS_HOST: '127.0.0.1' });
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
    await waitFor(
      async () =>
        (await fetch(workerMetrics.replace('/metrics', '/healthz')).catch(() => undefined))?.ok
          ? true
          : undefined,
      { timeoutMs: 20_000, what: 'the worker to be ready' },
    );
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('keeps it: the API renews the lock, no worker takes it, one call, one attempt', async () => {
    const response = await chat(system, 'sim-gpt-strong', 'echo: held');
    expect(response.status).toBe(200);
    expect(response.body.choices[0].message.content).toBe('held');
    const jobId = response.headers.get('x-llmq-job-id');
    expect(callsOf(system, jobId)).toBe(1);
    const job = await system.request('GET', `/v1/jobs/${jobId}`);
    expect(job.body).toMatchObject({ status: 'completed', attempts: 1 });
    const lane = `${system.prefix}:prompts-interactive`;
    expect(await system.redis.hget(`${lane}:${jobId}`, 'ats')).toBe('1');
    expect(await system.redis.hget(`${lane}:${jobId}`, 'stc')).toBeNull();
    const series = 'llm_requests_total{model="sim-gpt-strong",status="success"}';
    expect(await sample(`${system.apiUrl}/metrics`, series)).toBe(1);
    expect(await sample(workerMetrics, series)).toBe(0);
  });
});

describe('a sync wait timing out while the API runs its job', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({
      workers: 0,
      apiEnv: { SYNC_WAIT_TIMEOUT_MS: '500', INLINE_CONCURRENCY: '1' },
      simulatorModels: { 'sim-gpt-strong': { latencyMs: 1500 } },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('answers 504 when the wait times out, finishes the job, and gives the slot back', async () => {
    const timedOut = await chat(system, 'sim-gpt-strong', 'echo: late');
    expect(timedOut.status).toBe(504);
    const jobId = timedOut.headers.get('x-llmq-job-id');
    await waitFor(
      async () => {
        const job = await system.request('GET', `/v1/jobs/${jobId}`);
        return job.body.status === 'completed' ? job.body : undefined;
      },
      { timeoutMs: 10_000, what: 'the job to complete in the API' },
    );
    // INLINE_CONCURRENCY=1 and no worker: this one runs (answered, or completed after its own
    // 504 on a loaded machine) only if the slot came back.
    const next = await chat(system, 'sim-gpt-fast', 'echo: next');
    expect([200, 504]).toContain(next.status);
    const nextId = next.headers.get('x-llmq-job-id');
    await waitFor(
      async () => {
        const job = await system.request('GET', `/v1/jobs/${nextId}`);
        return job.body.status === 'completed' ? job.body : undefined;
      },
      { timeoutMs: 10_000, what: 'the next job to complete in the API' },
    );
  });
});

describe('the API running sync jobs with no worker at all', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ workers: 0, apiEnv: { LOG_LEVEL: 'debug' } });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("answers Anthropic's /v1/messages and a non-background /v1/responses request", async () => {
    const message = await system.request('POST', '/v1/messages', {
      model: 'sim-claude-fast',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'echo: from messages' }],
    });
    expect(message.status).toBe(200);
    expect(message.body).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'from messages' }],
    });
    const response = await system.request('POST', '/v1/responses', {
      model: 'sim-gpt-fast',
      input: 'echo: from responses',
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ object: 'response', status: 'completed' });
    expect(JSON.stringify(response.body.output)).toContain('from responses');
    // Chained on the stored response, also run here.
    const chained = await system.request('POST', '/v1/responses', {
      model: 'sim-gpt-fast',
      input: 'echo: chained',
      previous_response_id: response.body.id,
    });
    expect(chained.status).toBe(200);
    expect(JSON.stringify(chained.body.output)).toContain('chained');
  });

  it("prints neither the prompt nor the API key in the API's logs of its runs", async () => {
    // Prompt text the default filters let through: any of it in a log line is a leak.
    const secret = 'confidential-inline-review-words-7f3a9c';
    const response = await chat(system, 'sim-gpt-fast', `echo: ${secret}`);
    expect(response.status).toBe(200);
    expect(response.body.choices[0].message.content).toContain(secret);
    const logs = system.api.output();
    // The API logged the run, at debug level, as a worker does.
    expect(logs).toContain(`"job_id":"${response.headers.get('x-llmq-job-id')}"`);
    expect(logs).toContain('"event":"job-end"');
    for (const forbidden of [secret, apiKey]) {
      expect(logs.includes(forbidden) ? forbidden : null).toBeNull();
    }
  });

  it('leaves a background response and an async job to the workers', async () => {
    const background = await system.request('POST', '/v1/responses', {
      model: 'sim-gpt-fast',
      input: 'echo: later',
      background: true,
    });
    expect(background.status).toBe(200);
    expect(background.body.status).toBe('queued');
    const job = await system.request('POST', '/v1/jobs', { prompt: 'echo: later' });
    expect(job.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const view = await system.request('GET', `/v1/responses/${background.body.id}`);
    expect(view.body.status).toBe('queued');
    expect((await system.request('GET', `/v1/jobs/${job.body.id}`)).body.status).toBe('queued');
  });
});

describe("an inline run's rate-limit wait", () => {
  let system: System;
  let directory: string;

  beforeAll(async () => {
    // One call per 2 s window: the second of two calls waits in the provider rate limiter.
    directory = mkdtempSync(path.join(tmpdir(), 'llmq-inline-review-'));
    const catalog = path.join(directory, 'models.yaml');
    const shipped = readFileSync(path.join(repositoryRoot, 'config/models.yaml'), 'utf8');
    writeFileSync(
      catalog,
      `${shipped.trimEnd()}
  - id: sim-limited
    provider: simulator-openai
    upstream_model: sim-limited
    tier: fast
    context_window: 128000
    max_output_tokens: 4096
    pricing: { input: 0.15, output: 0.6, cached_input: 0.075 }
    expected_latency_ms: 100
    fallbacks: []
    rate_limits: { rpm: 30, window_ms: 2000 }
`,
    );
    // A worker takes a wait handed back to the lane (longer than RATE_LIMIT_MAX_SLEEP_MS).
    system = await startSystem({
      workers: 1,
      env: { METRICS_TOKEN: metricsToken, MODEL_CATALOG_PATH: catalog },
    });
  });
  afterAll(async () => {
    await system?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it("is counted on the API's /metrics, as a worker's is on its own", async () => {
    const [one, two] = await Promise.all([
      chat(system, 'sim-limited', 'echo: one'),
      chat(system, 'sim-limited', 'echo: two'),
    ]);
    expect([one.status, two.status]).toEqual([200, 200]);
    const page = await metricsPage(`${system.apiUrl}/metrics`);
    const delays = page
      .split('\n')
      .filter((line) => line.startsWith('llm_rate_limit_delays_total{'))
      .map((line) => Number(line.split(' ').pop()));
    expect(delays.reduce((sum, value) => sum + value, 0)).toBeGreaterThanOrEqual(1);
  });
});
