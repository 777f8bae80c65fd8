// Scenario: the sync OpenAI-compatible endpoint (API → interactive queue → worker → simulator
// → job events → API) at 50 and 1 connections, against the simulator called directly and
// against the Portkey gateway (`@portkey-ai/gateway`, its own CLI, pointed at the same
// simulator). Every target gets a warm-up, then a closed-loop run of the same length: 20 s
// before the c=50 runs (`steadyWarmup`: llmq's sync path is still being compiled by V8 for its
// first ~14,000 requests), 3 s before the c=1 runs, which follow each target's c=50 run.
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  apiKey,
  cpuNotes,
  duration,
  freePort,
  llmqEnv,
  measure,
  round,
  row,
  runScenario,
  startApi,
  startProcess,
  startSimulator,
  startWorker,
  steadyWarmup,
  waitForHttp,
  warmup,
  writeScenario,
} from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'echo: the quick brown fox jumps over the lazy dog' }],
  max_tokens: 32,
});

await runScenario('sync-endpoint', async (redis) => {
  const simulator = await startSimulator();
  const env = llmqEnv(redis.url, simulator.url);
  const api = await startApi(env);
  const worker = await startWorker({ ...env, INTERACTIVE_CONCURRENCY: '100' });
  const portkeyPort = await freePort();
  const packageFile = require.resolve('@portkey-ai/gateway/package.json');
  const portkey = startProcess(
    path.join(path.dirname(packageFile), 'build', 'start-server.js'),
    { NODE_ENV: 'production' },
    { name: 'portkey', scriptArguments: [`--port=${portkeyPort}`, '--headless'] },
  );
  const portkeyUrl = `http://127.0.0.1:${portkeyPort}`;
  await waitForHttp(`${portkeyUrl}/`, portkey);

  const targets = {
    direct: {
      url: `${simulator.url}/v1/chat/completions`,
      headers: { authorization: 'Bearer simulator' },
      processes: [simulator.service],
    },
    portkey: {
      url: `${portkeyUrl}/v1/chat/completions`,
      headers: {
        authorization: 'Bearer simulator',
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${simulator.url}/v1`,
      },
      processes: [portkey, simulator.service],
    },
    llmq: {
      url: `${api.url}/v1/chat/completions`,
      headers: { authorization: `Bearer ${apiKey}` },
      processes: [api.service, worker.service, simulator.service, redis],
    },
  };
  const runs = {};
  for (const connections of [50, 1]) {
    for (const [name, target] of Object.entries(targets)) {
      const warmupSeconds = connections === 50 ? steadyWarmup : warmup;
      runs[`${name}_c${connections}`] = await measure({
        ...target,
        body,
        connections,
        warmupSeconds,
        // At c=1 the p50s are a few ms apart: autocannon's own p50 is whole milliseconds.
        exactLatency: connections === 1,
      });
      process.stdout.write(
        `${name} c=${connections}: ${JSON.stringify(runs[`${name}_c${connections}`])}\n`,
      );
    }
  }
  const rows = [];
  for (const connections of [50, 1]) {
    const {
      direct,
      portkey: peer,
      llmq,
    } = {
      direct: runs[`direct_c${connections}`],
      portkey: runs[`portkey_c${connections}`],
      llmq: runs[`llmq_c${connections}`],
    };
    rows.push(
      row({
        metric: `req/s vs Portkey, c=${connections}`,
        baseline: peer.requests_per_second,
        measured: llmq.requests_per_second,
        target: '≥ 1.2×',
        met: llmq.requests_per_second >= 1.2 * peer.requests_per_second,
        notes: `direct ${direct.requests_per_second} req/s (llmq ${round(llmq.requests_per_second / direct.requests_per_second)}×); p50/p99 ms direct ${direct.p50_ms}/${direct.p99_ms}, Portkey ${peer.p50_ms}/${peer.p99_ms}, llmq ${llmq.p50_ms}/${llmq.p99_ms}`,
      }),
    );
  }
  rows.push(
    row({
      metric: 'CPU ms per request, c=50 (Portkey + simulator → llmq processes + Redis)',
      baseline: runs.portkey_c50.cpu_ms_per_request,
      measured: runs.llmq_c50.cpu_ms_per_request,
      target: 'reported',
      met: true,
      notes: `direct: simulator ${runs.direct_c50.cpu_ms_per_request}; llmq: ${cpuNotes(runs.llmq_c50)}; Portkey: ${cpuNotes(runs.portkey_c50)}`,
    }),
  );
  // From each answer's own time (autocannon's hrtime, µs resolution), not its histogram's
  // whole milliseconds, which made "adds 3 ms" anything from ~2.1 to ~3.9.
  const added = round(runs.llmq_c1.p50_exact_ms - runs.direct_c1.p50_exact_ms, 2);
  const portkeyAdded = round(runs.portkey_c1.p50_exact_ms - runs.direct_c1.p50_exact_ms, 2);
  rows.push(
    row({
      metric: 'added p50 ms at c=1 (llmq − direct)',
      baseline: round(runs.direct_c1.p50_exact_ms, 2),
      measured: round(runs.llmq_c1.p50_exact_ms, 2),
      ratio: null,
      target: '≤ 2 ms added',
      met: added <= 2,
      notes: `adds ${added} ms; Portkey adds ${portkeyAdded} ms (p50 ${round(runs.portkey_c1.p50_exact_ms, 2)} ms); autocannon's whole-ms p50s direct ${runs.direct_c1.p50_ms}, Portkey ${runs.portkey_c1.p50_ms}, llmq ${runs.llmq_c1.p50_ms}`,
    }),
  );
  const errors = Object.values(runs).reduce((sum, run) => sum + run.errors, 0);
  rows.push(row({ metric: 'failed requests', measured: errors, target: '0', met: errors === 0 }));
  writeScenario('sync-endpoint', rows, { duration_s: duration, runs });
});
