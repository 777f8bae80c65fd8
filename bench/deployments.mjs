// Deployments benchmark (a scenario of `npm run bench`; not a timed test): throughput of one
// catalog model spread over 1, 2 and 4 deployments, each limited to the same RPM, through the
// API, Redis, one worker and the simulator. Each deployment is its own upstream model on the
// simulator, which enforces the same limit (its `rpm` over `rateWindowMs`) as llmq's
// per-deployment `rate_limits`, so every deployment is a separately limited upstream, as
// several API keys or regions are. The model's weights are equal (the default `weighted`
// pick); a deployment out of capacity is set aside and the call goes to another.
//
// Every run keeps the backlog full: it submits `windows` windows' worth of jobs for its
// deployments at once and times them to completion, so the first window's burst weighs the
// same in every run. The 1-deployment run is the baseline; the rows are the ratios (target:
// at least 0.8 × the number of deployments). Uses the built apps (`tsc -b`) and a private
// redis-server; BENCH_QUICK=1 runs fewer windows. Writes bench/results/deployments.json.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchEnv } from './lib/bench-env.mjs';
import {
  apiKey,
  llmqEnv,
  quick,
  root,
  round,
  row,
  runScenario,
  startApi,
  startSimulator,
  startWorker,
  waitUntil,
  writeScenario,
} from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const { Redis } = require('ioredis');

/** Requests each deployment may make per window (llmq's limit and the simulator's alike). */
// Low on purpose: four deployments together must stay well under what one worker and the
// simulator can carry on a shared 2-CPU machine, or the bench measures the machine instead.
const perWindow = benchEnv.BENCH_DEPLOYMENT_REQUESTS ?? 8;
const windowMs = 2000;
const rpm = (perWindow * 60_000) / windowMs;
/** How many windows' worth of jobs each run submits. */
const windows = benchEnv.BENCH_DEPLOYMENT_WINDOWS ?? (quick ? 4 : 10);
const counts = [1, 2, 4];

const upstream = (count, index) => `sim-bench-dep${count}-${index}`;

function benchModels() {
  return counts
    .map((count) => {
      const deployments = Array.from(
        { length: count },
        (_, index) =>
          `      - { id: d${index}, upstream_model: ${upstream(count, index)}, rate_limits: { rpm: ${rpm}, window_ms: ${windowMs} } }`,
      ).join('\n');
      return `
  - id: bench-deployments-${count}
    provider: simulator-openai
    upstream_model: ${upstream(count, 0)}
    tier: fast
    context_window: 8192
    max_output_tokens: 256
    pricing: { input: 0.15, output: 0.6, cached_input: 0.075 }
    expected_latency_ms: 50
    fallbacks: []
    deployments:
${deployments}
`;
    })
    .join('');
}

function simulatorModels() {
  const models = {};
  for (const count of counts) {
    for (let index = 0; index < count; index += 1) {
      models[upstream(count, index)] = { rpm, rateWindowMs: windowMs, latencyMs: 20 };
    }
  }
  return { models };
}

await runScenario('deployments', async (redisServer) => {
  const directory = await mkdtemp(path.join(tmpdir(), 'llmq-bench-deployments-'));
  try {
    const catalogPath = path.join(directory, 'models.yaml');
    const shipped = await readFile(path.join(root, 'config', 'models.yaml'), 'utf8');
    await writeFile(catalogPath, `${shipped.trimEnd()}\n${benchModels()}`);
    const simulatorConfig = path.join(directory, 'simulator.json');
    await writeFile(simulatorConfig, JSON.stringify(simulatorModels()));
    const simulator = await startSimulator({ SIMULATOR_CONFIG: simulatorConfig });
    const env = llmqEnv(redisServer.url, simulator.url, { MODEL_CATALOG_PATH: catalogPath });
    const api = await startApi(env);
    await startWorker({ ...env, WORKER_CONCURRENCY: '200' });
    const redis = new Redis(redisServer.url);

    const counters = async () => (await fetch(`${simulator.url}/_sim/counters`)).json();
    const submit = async (body) => {
      const response = await fetch(`${api.url}/v1/jobs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = await response.json();
      if (response.status !== 202) throw new Error(`submit: ${JSON.stringify(json)}`);
      return json.id;
    };

    /** Submits `windows` windows' worth of jobs for `count` deployments; times them to the end. */
    const run = async (count) => {
      const jobs = windows * perWindow * count;
      const model = `bench-deployments-${count}`;
      const started = performance.now();
      const ids = [];
      for (let start = 0; start < jobs; start += 100) {
        const chunk = Array.from({ length: Math.min(100, jobs - start) }, (_, index) =>
          submit({
            model,
            prompt: `deployment bench ${count} job ${start + index}`,
            max_tokens: 8,
          }),
        );
        ids.push(...(await Promise.all(chunk)));
      }
      const statuses = await waitUntil(
        async () => {
          const pipeline = redis.pipeline();
          for (const id of ids) pipeline.hget(`bench:job:${id}`, 'status');
          const values = ((await pipeline.exec()) ?? []).map(([, value]) => value);
          return values.every((value) => value === 'completed' || value === 'failed')
            ? values
            : undefined;
        },
        { timeoutMs: 600_000, intervalMs: 100, what: `${jobs} ${model} jobs` },
      );
      const seconds = (performance.now() - started) / 1000;
      const served = await counters();
      const perDeployment = Array.from(
        { length: count },
        (_, index) => served.byModel[upstream(count, index)] ?? 0,
      );
      const result = {
        deployments: count,
        jobs,
        failed: statuses.filter((status) => status === 'failed').length,
        seconds: round(seconds),
        jobsPerSecond: round(jobs / seconds, 1),
        callsPerDeployment: perDeployment,
        upstream429: served.byStatus?.['429'] ?? 0,
      };
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.failed > 0) throw new Error(`${result.failed} ${model} jobs failed`);
      return result;
    };

    // A warm-up on an unlimited model, so connection pools and JIT are warm for the baseline.
    await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        submit({ model: 'sim-gpt-fast', prompt: `warm-up ${index}`, max_tokens: 8 }),
      ),
    );
    await waitUntil(async () => (await counters()).byModel['sim-gpt-fast'] >= 50, {
      what: 'the warm-up jobs',
    });
    const results = [];
    for (const count of counts) results.push(await run(count));
    const [baseline] = results;
    const rows = results.slice(1).map((result) =>
      row({
        metric: `jobs/s, one model over ${result.deployments} deployments vs 1, each ${rpm} rpm`,
        baseline: baseline.jobsPerSecond,
        measured: result.jobsPerSecond,
        target: `>= ${round(0.8 * result.deployments, 1)}x (0.8 × deployments)`,
        met: result.jobsPerSecond / baseline.jobsPerSecond >= 0.8 * result.deployments,
        notes: `${result.jobs} jobs in ${result.seconds} s (baseline ${baseline.jobs} in ${baseline.seconds} s); calls per deployment ${result.callsPerDeployment.join('/')}; ${windows} windows of ${windowMs} ms, ${perWindow} requests each per deployment, simulator 20 ms per call, 1 worker`,
      }),
    );
    writeScenario('deployments', rows, { runs: results, rpm, windowMs, windows });
    redis.disconnect();
    if (!rows.every((item) => item.met)) process.exitCode = 1;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
