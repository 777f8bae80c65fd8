// Micro-batching benchmark (a scenario of `npm run bench`; not a timed test): jobs per second of
// a `/v1/embeddings` batch run to completion through the API, Redis, one worker and the
// simulator, with micro-batching at N=16 (max_items 16, max_wait_ms 10) against without
// (N=1), on simulator models charging 20 ms per call. Uses the built apps (run `tsc -b`
// first) and a private redis-server it starts (bench/lib/harness.mjs); BENCH_QUICK=1 runs
// 200 lines per batch as a smoke test.
//
// Two upstreams, each run at N=1 and N=16 in the same process tree:
// - "single-slot": the model serves one call at a time (`maxConcurrentCalls: 1`, like a local
//   inference server with one slot, or any upstream whose calls are the scarce resource):
//   the target row (at least 5x).
// - "unlimited": the model takes any number of calls at once. Calls are not scarce, so the
//   20 ms are paid in parallel either way (Little's law: lines in flight / per-line latency);
//   what batching still saves is the CPU of each HTTP call on both sides. The row checks
//   that batching costs no throughput.
// Writes bench/results/micro-batching.json ({scenario, rows}).

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchEnv } from './lib/bench-env.mjs';
import { quick, resultsDirectory, startRedis } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const {
  spawnService,
  freePort,
  waitFor,
  uniquePrefix,
  cleanupPrefix,
} = require('../packages/testing/dist/index.js');
const { Redis } = require('ioredis');

const lines = benchEnv.BENCH_MICRO_BATCH_LINES ?? (quick ? 200 : 2000);
const apiKey = 'bench-key-000001';
const overheadMs = 20;
const batchSize = 16;
/** Bulk-lane lines one worker runs at once: room for several full micro-batches in flight. */
const bulkConcurrency = 128;
const here = path.dirname(new URL(import.meta.url).pathname);

/** Catalog entries appended to the shipped catalog: one per upstream and batch size. */
function benchModels() {
  const entry = (id, upstream, maxItems) => `
  - id: ${id}
    provider: simulator-openai
    upstream_model: ${upstream}
    tier: fast
    context_window: 8192
    max_output_tokens: 1
    pricing: { input: 0.02, output: 0, cached_input: 0.02 }
    capabilities: { streaming: false, json_mode: false, batching: true }
    endpoints: [embeddings]
    batching: { max_items: ${maxItems}, max_wait_ms: 10 }
    expected_latency_ms: 50
`;
  return [
    entry('bench-slot-n1', 'sim-bench-slot', 1),
    entry(`bench-slot-n${batchSize}`, 'sim-bench-slot', batchSize),
    entry('bench-open-n1', 'sim-bench-open', 1),
    entry(`bench-open-n${batchSize}`, 'sim-bench-open', batchSize),
  ].join('');
}

function batchFile(model) {
  const rows = [];
  for (let index = 0; index < lines; index += 1) {
    rows.push(
      JSON.stringify({
        custom_id: `line-${index}`,
        method: 'POST',
        url: '/v1/embeddings',
        body: { model, input: `Benchmark sentence number ${index} for the embedding model.` },
      }),
    );
  }
  return `${rows.join('\n')}\n`;
}

async function main() {
  const prefix = uniquePrefix('bench-micro-batching');
  const redisServer = await startRedis();
  const redisUrl = redisServer.url;
  const redis = new Redis(redisUrl);
  const directory = await mkdtemp(path.join(tmpdir(), 'llmq-bench-mb-'));
  const catalogPath = path.join(directory, 'models.yaml');
  const shipped = await readFile(path.join(here, '..', 'config', 'models.yaml'), 'utf8');
  await writeFile(catalogPath, `${shipped.trimEnd()}\n${benchModels()}`);
  const simulatorConfig = path.join(directory, 'simulator.json');
  await writeFile(
    simulatorConfig,
    JSON.stringify({
      models: {
        'sim-bench-slot': { perCallOverheadMs: overheadMs, maxConcurrentCalls: 1 },
        'sim-bench-open': { perCallOverheadMs: overheadMs },
      },
    }),
  );
  const simulatorPort = await freePort();
  const apiPort = await freePort();
  const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
  const simulator = spawnService('llm-simulator', {
    SIMULATOR_PORT: String(simulatorPort),
    SIMULATOR_CONFIG: simulatorConfig,
    LOG_LEVEL: 'warn',
  });
  const env = {
    REDIS_URL: redisUrl,
    LLMQ_PREFIX: prefix,
    SIMULATOR_URL: simulatorUrl,
    MODEL_CATALOG_PATH: catalogPath,
    LOG_LEVEL: 'warn',
    WORKER_METRICS_PORT: '0',
  };
  const api = spawnService('api', {
    ...env,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    API_KEYS: `bench:${apiKey}`,
  });
  const worker = spawnService('worker', {
    ...env,
    BULK_WORKER_CONCURRENCY: String(bulkConcurrency),
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const call = async (method, route, body) => {
    const response = await fetch(`${apiUrl}${route}`, {
      method,
      headers: {
        Authorization: `Bearer ${apiKey}`,
        ...(body instanceof FormData ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body instanceof FormData ? body : body && JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${route}: ${JSON.stringify(json)}`);
    return json;
  };
  const simulatorCalls = async (upstream) => {
    const counters = await (await fetch(`${simulatorUrl}/_sim/counters`)).json();
    return counters.byModel[upstream] ?? 0;
  };

  /** One batch of `lines` embeddings lines on `model`, from creation to completion. */
  const run = async (model, upstream) => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([batchFile(model)]), `${model}.jsonl`);
    const file = await call('POST', '/v1/files', form);
    const callsBefore = await simulatorCalls(upstream);
    const started = performance.now();
    const created = await call('POST', '/v1/batches', {
      input_file_id: file.id,
      endpoint: '/v1/embeddings',
      completion_window: '24h',
    });
    const finished = await waitFor(
      async () => {
        const batch = await call('GET', `/v1/batches/${created.id}`);
        return ['completed', 'failed', 'cancelled', 'expired'].includes(batch.status)
          ? batch
          : undefined;
      },
      { timeoutMs: 900_000, intervalMs: 50, what: `the ${model} batch to complete` },
    );
    const seconds = (performance.now() - started) / 1000;
    const calls = (await simulatorCalls(upstream)) - callsBefore;
    const result = {
      model,
      status: finished.status,
      completed: finished.request_counts.completed,
      failed: finished.request_counts.failed,
      seconds: Number(seconds.toFixed(2)),
      jobsPerSecond: Math.round(lines / seconds),
      providerCalls: calls,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (finished.status !== 'completed' || finished.request_counts.failed > 0)
      throw new Error(`the ${model} batch did not complete cleanly: ${JSON.stringify(result)}`);
    return result;
  };

  try {
    for (const [name, service, url] of [
      ['simulator', simulator, `${simulatorUrl}/_sim/health`],
      ['api', api, `${apiUrl}/readyz`],
    ]) {
      await waitFor(
        async () => {
          if (service.child.exitCode !== null)
            throw new Error(`${name} exited:\n${service.output()}`);
          return (await fetch(url).catch(() => undefined))?.ok ? true : undefined;
        },
        { timeoutMs: 20_000, what: `${name} to start` },
      );
    }
    // A small warm-up batch, so connection pools and JIT are warm for the first measurement.
    await run(`bench-open-n${batchSize}`, 'sim-bench-open');

    const slotUnbatched = await run('bench-slot-n1', 'sim-bench-slot');
    const slotBatched = await run(`bench-slot-n${batchSize}`, 'sim-bench-slot');
    const openUnbatched = await run('bench-open-n1', 'sim-bench-open');
    const openBatched = await run(`bench-open-n${batchSize}`, 'sim-bench-open');

    const ratio = (measured, baseline) => Number((measured / baseline).toFixed(2));
    const slotRatio = ratio(slotBatched.jobsPerSecond, slotUnbatched.jobsPerSecond);
    const openRatio = ratio(openBatched.jobsPerSecond, openUnbatched.jobsPerSecond);
    const linesPerCall = Number((lines / Math.max(1, slotBatched.providerCalls)).toFixed(1));
    const setting = `${lines} /v1/embeddings lines, 1 worker (BULK_WORKER_CONCURRENCY ${bulkConcurrency}), simulator ${overheadMs} ms per call`;
    const results = {
      scenario: 'micro-batching',
      date: new Date().toISOString(),
      node: process.version,
      rows: [
        {
          metric: `jobs/s, micro-batching N=${batchSize} vs N=1, upstream serving one call at a time`,
          baseline: slotUnbatched.jobsPerSecond,
          measured: slotBatched.jobsPerSecond,
          ratio: slotRatio,
          target: '>= 5x',
          met: slotRatio >= 5,
          notes: `${setting}, maxConcurrentCalls 1; provider calls ${slotUnbatched.providerCalls} vs ${slotBatched.providerCalls}`,
        },
        {
          metric: `lines per provider call at N=${batchSize}`,
          baseline: 1,
          measured: linesPerCall,
          ratio: linesPerCall,
          target: '>= 8 (batches fill)',
          met: linesPerCall >= 8,
          notes: `single-slot run: ${lines} lines in ${slotBatched.providerCalls} calls`,
        },
        {
          metric: `jobs/s, micro-batching N=${batchSize} vs N=1, upstream without a concurrency limit`,
          baseline: openUnbatched.jobsPerSecond,
          measured: openBatched.jobsPerSecond,
          ratio: openRatio,
          target: '>= 0.9x (batching costs no throughput)',
          met: openRatio >= 0.9,
          notes: `${setting}, no slot limit; provider calls ${openUnbatched.providerCalls} vs ${openBatched.providerCalls}: any gain here is CPU saved per call (HTTP client, simulator), not waiting`,
        },
      ],
    };
    await mkdir(resultsDirectory, { recursive: true });
    await writeFile(
      path.join(resultsDirectory, 'micro-batching.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    if (!results.rows.every((row) => row.met)) process.exitCode = 1;
  } finally {
    await Promise.all([api.stop('SIGKILL'), worker.stop('SIGKILL'), simulator.stop('SIGKILL')]);
    await cleanupPrefix(redis, prefix);
    await redis.quit();
    await redisServer.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(
    `micro-batching bench failed: ${error instanceof Error ? error.stack : error}\n`,
  );
  process.exit(1);
});
