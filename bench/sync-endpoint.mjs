// Benchmark: the sync OpenAI-compatible endpoint (API → interactive queue → worker → simulator
// → Redis Stream → API) against the simulator called directly, at 1 and 50 connections.
// Reports p50/p99 latency, the latency llmq adds, and requests per second, as ratios measured
// in the same run. Starts its own private Redis, simulator, API and worker; needs a build
// (`npm run bench` builds first). Usage: node bench/sync-endpoint.mjs [--duration 10]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const require = createRequire(import.meta.url);
const { freePort, startRedisServer, hasRedisServer } = require('../scripts/lib/local-redis.js');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const durationArgument = process.argv.indexOf('--duration');
const duration = durationArgument > 0 ? Number(process.argv[durationArgument + 1]) : 10;
const apiKey = 'bench-key-000001';
const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'echo: the quick brown fox jumps over the lazy dog' }],
  max_tokens: 32,
});

const children = [];
function startApp(app, env) {
  const child = spawn(process.execPath, [path.join(root, 'apps', app, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

async function waitForHttp(url, init = {}) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const response = await fetch(url, init).catch(() => undefined);
    if (response?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer`);
}

function run(url, connections, headers, seconds = duration) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, method: 'POST', body, headers, connections, duration: seconds },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

function summary(result) {
  return {
    requests_per_second: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

async function main() {
  if (!hasRedisServer()) throw new Error('redis-server is not installed');
  const redisPort = await freePort();
  const redis = await startRedisServer({
    port: redisPort,
    dir: path.join(os.tmpdir(), `llmq-bench-redis-${redisPort}`),
    appendOnly: false,
  });
  try {
    const [simulatorPort, apiPort] = [await freePort(), await freePort()];
    const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const common = { REDIS_URL: redis.url, LLMQ_PREFIX: 'bench', SIMULATOR_URL: simulatorUrl };
    startApp('llm-simulator', {
      SIMULATOR_PORT: String(simulatorPort),
      SIMULATOR_HOST: '127.0.0.1',
    });
    startApp('api', {
      ...common,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      API_KEYS: `bench:${apiKey}`,
    });
    startApp('worker', { ...common, INTERACTIVE_CONCURRENCY: '100' });
    await waitForHttp(`${simulatorUrl}/v1/models`, {
      headers: { Authorization: 'Bearer simulator' },
    });
    await waitForHttp(`${apiUrl}/readyz`);

    const targets = {
      direct: {
        url: `${simulatorUrl}/v1/chat/completions`,
        headers: { 'content-type': 'application/json', authorization: 'Bearer simulator' },
      },
      llmq: {
        url: `${apiUrl}/v1/chat/completions`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      },
    };
    const results = {};
    // Other processes on the machine skew every figure: record how busy it was.
    const loadBefore = os.loadavg()[0];
    for (const connections of [1, 50]) {
      for (const [name, target] of Object.entries(targets)) {
        await run(target.url, connections, target.headers, 2); // warm-up
        const result = summary(await run(target.url, connections, target.headers));
        results[`${name}_c${connections}`] = result;
        process.stdout.write(`${name} c=${connections}: ${JSON.stringify(result)}\n`);
      }
    }
    const report = {
      measured_at: new Date().toISOString(),
      load_average_1m: { before: loadBefore, after: os.loadavg()[0] },
      duration_s: duration,
      node: process.version,
      cpus: os.cpus().length,
      runs: results,
    };
    const lines = [
      '| connections | direct p50 / p99 ms | llmq p50 / p99 ms | added p50 / p99 ms | req/s direct → llmq (ratio) |',
      '| --- | --- | --- | --- | --- |',
    ];
    for (const connections of [1, 50]) {
      const direct = results[`direct_c${connections}`];
      const llmq = results[`llmq_c${connections}`];
      const ratio = (llmq.requests_per_second / direct.requests_per_second).toFixed(2);
      lines.push(
        `| ${connections} | ${direct.p50_ms} / ${direct.p99_ms} | ${llmq.p50_ms} / ${llmq.p99_ms} | ${llmq.p50_ms - direct.p50_ms} / ${llmq.p99_ms - direct.p99_ms} | ${direct.requests_per_second} → ${llmq.requests_per_second} (${ratio}×) |`,
      );
    }
    const table = lines.join('\n');
    process.stdout.write(
      `\n${table}\n(1-minute load average ${loadBefore.toFixed(1)} → ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)\n`,
    );
    fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'bench', 'results', 'sync-endpoint.json'),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    fs.writeFileSync(
      path.join(root, 'bench', 'results', 'sync-endpoint.md'),
      `# Sync endpoint vs the simulator called directly\n\nMeasured ${report.measured_at}, ${duration} s per run, Node ${process.version}, ${os.cpus().length} CPUs, 1-minute load average ${loadBefore.toFixed(1)} before the runs (other processes share the machine).\n\n${table}\n`,
    );
    const errors = Object.values(results).reduce((sum, result) => sum + result.errors, 0);
    if (errors > 0) throw new Error(`${errors} requests failed during the benchmark`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) =>
        child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null,
      ),
    );
    await redis.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`benchmark failed: ${error.message}\n`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
