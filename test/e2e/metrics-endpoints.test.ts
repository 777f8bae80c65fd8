import { freePort, waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
const metricsToken = 'e2e-metrics-token-0001';
let system: System;
let workerMetricsUrl: string;

beforeAll(async () => {
  system = await startSystem({ workers: 0, env: { METRICS_TOKEN: metricsToken } });
  const port = await freePort();
  system.startWorker({ WORKER_METRICS_PORT: String(port), WORKER_METRICS_HOST: '127.0.0.1' });
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  await waitFor(
    async () =>
      (await fetch(workerMetricsUrl, auth()).catch(() => undefined))?.ok ? true : undefined,
    { timeoutMs: 15_000, what: 'the worker metrics port' },
  );
});
afterAll(async () => {
  await system?.stop();
});

function auth(token = metricsToken): RequestInit {
  return { headers: { Authorization: `Bearer ${token}` } };
}

/** Parses the Prometheus text format into `name{labels}` → value. */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url, auth());
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const split = line.lastIndexOf(' ');
    samples.set(line.slice(0, split), Number(line.slice(split + 1)));
  }
  return samples;
}

function sample(samples: Map<string, number>, name: string, labels: Record<string, string>) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const [series, value] of samples) {
    const open = series.indexOf('{');
    const seriesName = open < 0 ? series : series.slice(0, open);
    if (seriesName === name && wanted.every((pair) => series.includes(pair))) return value;
  }
  return undefined;
}

describe('GET /metrics on the API and the worker', () => {
  it('refuses a scrape without the metrics token', async () => {
    const anonymous = await fetch(`${system.apiUrl}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'invalid_metrics_token' } });
    const wrong = await fetch(`${system.apiUrl}/metrics`, auth('x'.repeat(metricsToken.length)));
    expect(wrong.status).toBe(401);
    expect((await fetch(workerMetricsUrl)).status).toBe(401);
  });

  it('moves the request, latency, token, queue and HTTP metrics when a job runs', async () => {
    const jobId = await system.submit({ model: 'sim-gpt-fast', prompt: 'echo: metrics please' });
    expect((await system.waitForJob(jobId)).status).toBe('completed');
    const api = await scrape(`${system.apiUrl}/metrics`);
    expect(
      sample(api, 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/jobs',
        status_code: '202',
      }),
    ).toBe(1);
    expect(
      sample(api, 'llm_queue_length', { queue: 'prompts-standard', state: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(api, 'llm_queue_length', { queue: 'prompts-standard', state: 'waiting' })).toBe(
      0,
    );
    // Every lane is watched, the bulk lane (batch lines) included.
    expect(sample(api, 'llm_queue_length', { queue: 'prompts-bulk', state: 'waiting' })).toBe(0);
    expect(sample(api, 'llm_redis_memory_used_bytes', {})).toBeGreaterThan(0);

    const worker = await scrape(workerMetricsUrl);
    expect(sample(worker, 'llm_requests_total', { model: 'sim-gpt-fast', status: 'success' })).toBe(
      1,
    );
    expect(sample(worker, 'llm_latency_seconds_count', { model: 'sim-gpt-fast' })).toBe(1);
    expect(sample(worker, 'llm_latency_seconds_bucket', { model: 'sim-gpt-fast', le: '30' })).toBe(
      1,
    );
    expect(
      sample(worker, 'llm_tokens_total', { model: 'sim-gpt-fast', type: 'input' }),
    ).toBeGreaterThan(0);
    expect(
      sample(worker, 'llm_tokens_total', { model: 'sim-gpt-fast', type: 'output' }),
    ).toBeGreaterThan(0);
    expect(sample(worker, 'llm_job_queue_wait_seconds_count', { queue: 'prompts-standard' })).toBe(
      1,
    );
    expect(
      sample(worker, 'llm_jobs_total', { queue: 'prompts-standard', outcome: 'completed' }),
    ).toBe(1);
    // The spend the job's result records (catalog price × provider usage) moves the cost metric.
    const job = await system.request('GET', `/v1/jobs/${jobId}`);
    expect(job.body.result.cost_usd).toBeGreaterThan(0);
    expect(sample(worker, 'llm_cost_dollars', { model: 'sim-gpt-fast' })).toBeCloseTo(
      job.body.result.cost_usd,
      8,
    );
    expect(
      sample(worker, 'llm_queue_length', { queue: 'prompts-standard', state: 'completed' }),
    ).toBeGreaterThanOrEqual(1);

    // Defined for stages not built yet (cache, limits, budgets) or not moved by one plain
    // job (circuits, fallbacks, webhooks, batches): present, with HELP and TYPE.
    const text = await (await fetch(workerMetricsUrl, auth())).text();
    for (const name of [
      'llm_cost_dollars',
      'llm_cache_hits_total',
      'llm_time_to_first_token_seconds',
      'llm_circuit_state',
      'llm_fallbacks_total',
      'llm_rate_limit_delays_total',
      'llm_webhook_deliveries_total',
      'llm_batch_requests_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('records the time to first token of a streamed job', async () => {
    const jobId = await system.submit({
      model: 'sim-gpt-strong',
      prompt: 'echo: first token please',
      stream: true,
    });
    expect((await system.waitForJob(jobId)).status).toBe('completed');
    const worker = await scrape(workerMetricsUrl);
    expect(
      sample(worker, 'llm_time_to_first_token_seconds_count', { model: 'sim-gpt-strong' }),
    ).toBe(1);
  });

  it('answers the worker liveness probe on the metrics port', async () => {
    const response = await fetch(workerMetricsUrl.replace('/metrics', '/healthz'));
    expect(response.status).toBe(200);
  });
});
