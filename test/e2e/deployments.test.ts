import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CircuitBreaker, RedisKeys } from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import { repositoryRoot, testEnv, waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';

/**
 * Deployments end to end: the API, two worker processes and real Redis, with each deployment
 * of a model served as its own upstream model name, so the simulator counts its calls apart
 * (one of them on a second simulator, through its own base URL and API key).
 */
type System = Awaited<ReturnType<typeof startSystem>>;
type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let system: System;
let second: Simulator;
let directory: string;

const spreadJobs = testEnv().E2E_DEPLOYMENT_JOBS;

function writeCatalog(secondUrl: string): string {
  const shipped = readFileSync(path.join(repositoryRoot, 'config/models.yaml'), 'utf8');
  const model = (id: string, deployments: string) => `
  - id: ${id}
    provider: simulator-openai
    upstream_model: ${id}
    tier: fast
    context_window: 128000
    max_output_tokens: 4096
    pricing: { input: 0.15, output: 0.6, cached_input: 0.075 }
    expected_latency_ms: 100
    fallbacks: []
    deployments:${deployments}
`;
  const file = path.join(directory, 'models.yaml');
  writeFileSync(
    file,
    `${shipped.trimEnd()}\n${model(
      'sim-spread',
      `
      - { id: east, upstream_model: sim-dep-east, weight: 3 }
      - { id: west, upstream_model: sim-dep-west, weight: 1, base_url: "${secondUrl}/v1", api_key_env: WEST_API_KEY }`,
    )}${model(
      'sim-fragile',
      `
      - { id: a, upstream_model: sim-frag-a }
      - { id: b, upstream_model: sim-frag-b }`,
    )}${model(
      'sim-throttled',
      `
      - { id: p, upstream_model: sim-thr-p }
      - { id: q, upstream_model: sim-thr-q }`,
    )}`,
  );
  return file;
}

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'llmq-deployments-'));
  second = await startSimulator();
  system = await startSystem({
    workers: 2,
    env: { MODEL_CATALOG_PATH: writeCatalog(second.url) },
    workerEnv: {
      LOG_LEVEL: 'info',
      WEST_API_KEY: 'west-key',
      RETRY_BASE_DELAY_MS: '10',
      CIRCUIT_CONSECUTIVE_FAILURES: '3',
      CIRCUIT_COOLDOWN_MS: '60000',
    },
    simulatorModels: {
      'sim-frag-a': { faults: { status500: 1 } },
      'sim-thr-p': { faults: { status429: 1, retryAfterSeconds: 60 } },
    },
  });
}, 60_000);
afterAll(async () => {
  await system?.stop();
  await second?.close();
  rmSync(directory, { recursive: true, force: true });
});

async function runJobs(model: string, count: number, label: string) {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const chunk = Array.from({ length: Math.min(100, count - start) }, (_, index) =>
      system.submit({ model, prompt: `${label} ${start + index}`, max_tokens: 8 }),
    );
    ids.push(...(await Promise.all(chunk)));
  }
  await waitFor(
    async () => {
      const pipeline = system.redis.pipeline();
      for (const id of ids) pipeline.hget(`${system.prefix}:job:${id}`, 'status');
      const values = ((await pipeline.exec()) ?? []).map(([, value]) => value);
      return values.every((value) => value === 'completed' || value === 'failed') || undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250, what: `${count} ${model} jobs to finish` },
  );
  return Promise.all(ids.map(async (id) => (await system.request('GET', `/v1/jobs/${id}`)).body));
}

it('spreads calls 3:1 by weight across two worker processes', async () => {
  const jobs = await runJobs('sim-spread', spreadJobs, 'spread');
  expect(jobs.every((job) => job.status === 'completed')).toBe(true);
  const east = system.simulator.counters().byModel['sim-dep-east'] ?? 0;
  const west = second.counters().byModel['sim-dep-west'] ?? 0;
  expect(east + west).toBe(spreadJobs);
  // 3 standard deviations of a binomial draw of 400 at p = 0.75 is about 0.065.
  expect(east / spreadJobs).toBeGreaterThan(0.68);
  expect(east / spreadJobs).toBeLessThan(0.82);
  // The own base URL and key reached the second simulator; the job says who answered.
  const byDeployment = new Map<string, number>();
  for (const job of jobs) {
    byDeployment.set(job.result.deployment, (byDeployment.get(job.result.deployment) ?? 0) + 1);
    expect(job.result.attempts.at(-1)).toMatchObject({
      model: 'sim-spread',
      deployment: job.result.deployment,
      outcome: 'success',
    });
  }
  expect(byDeployment.get('east')).toBe(east);
  expect(byDeployment.get('west')).toBe(west);
  // Both worker processes took part.
  for (const worker of system.workers) expect(worker.output()).toContain('"sim-spread"');
}, 180_000);

it('opens only the failing deployment’s circuit and moves traffic to the other', async () => {
  const first = await runJobs('sim-fragile', 40, 'fragile');
  expect(first.every((job) => job.status === 'completed')).toBe(true);
  expect(first.every((job) => job.result.deployment === 'b')).toBe(true);
  const breaker = new CircuitBreaker(system.redis, new RedisKeys(system.prefix));
  const circuits = (await breaker.getCircuitStates()).filter((circuit) =>
    circuit.model.startsWith('sim-frag-'),
  );
  expect(circuits).toEqual([
    expect.objectContaining({ model: 'sim-frag-a@a', state: 'open' }),
    expect.objectContaining({ model: 'sim-frag-b@b', state: 'closed' }),
  ]);
  const failedCalls = system.simulator.counters().byModel['sim-frag-a'] ?? 0;
  // The circuit opened after 3 failures; calls already in flight then may add more.
  expect(failedCalls).toBeGreaterThanOrEqual(3);

  // With the circuit open, no worker calls `a` again: its picks are skipped and go to `b`.
  const second = await runJobs('sim-fragile', 40, 'fragile again');
  expect(second.every((job) => job.status === 'completed')).toBe(true);
  expect(second.every((job) => job.result.deployment === 'b')).toBe(true);
  expect(system.simulator.counters().byModel['sim-frag-a'] ?? 0).toBe(failedCalls);
  const skipped = second.filter((job) =>
    job.result.attempts.some(
      (attempt: { deployment?: string; error_code?: string }) =>
        attempt.deployment === 'a' && attempt.error_code === 'circuit_open',
    ),
  );
  expect(skipped.length).toBeGreaterThan(0);
}, 120_000);

it('pauses only the deployment that answered 429', async () => {
  const throttledCalls = () => system.simulator.counters().byModel['sim-thr-p'] ?? 0;
  // Small waves until one call has met the 429 (a pick may go to q first), so no later wave
  // has calls in flight that set out before the pause.
  const jobs = [];
  for (let wave = 0; wave < 10 && throttledCalls() === 0; wave += 1) {
    jobs.push(...(await runJobs('sim-throttled', 4, `throttled ${wave}`)));
  }
  const callsBeforeLater = throttledCalls();
  expect(callsBeforeLater).toBeGreaterThanOrEqual(1);
  const keys = new RedisKeys(system.prefix);
  expect(
    await system.redis.pttl(keys.ratePause('simulator-openai', 'sim-thr-p@p')),
  ).toBeGreaterThan(10_000);
  expect(await system.redis.exists(keys.ratePause('simulator-openai', 'sim-thr-q@q'))).toBe(0);
  // Every later job goes to q without calling the paused deployment again.
  jobs.push(...(await runJobs('sim-throttled', 36, 'throttled later')));
  expect(jobs.every((job) => job.status === 'completed')).toBe(true);
  expect(jobs.every((job) => job.result.deployment === 'q')).toBe(true);
  expect(throttledCalls()).toBe(callsBeforeLater);
  expect(system.simulator.counters().byModel['sim-thr-q']).toBe(jobs.length);
}, 120_000);
