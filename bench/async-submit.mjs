// Scenario: async submit. `POST /v1/jobs` at 50 connections (auth, validation, input filter
// and every other gate on, no worker) against a bare Express 5 route doing one `queue.add`,
// both on the same private Redis. Closed-loop runs give req/s and their p99; a fixed-rate run
// at half the baseline's rate gives latency without queueing in the load generator.
import {
  apiKey,
  cpuNotes,
  duration,
  llmqEnv,
  measure,
  row,
  runScenario,
  startApi,
  startBaseline,
  writeScenario,
} from './lib/harness.mjs';

const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'Summarise the quick brown fox in one line.' }],
  max_tokens: 32,
});

await runScenario('async-submit', async (redis) => {
  const bare = await startBaseline('bare-server', { REDIS_URL: redis.url, BASELINE_MODE: 'queue' });
  const api = await startApi(llmqEnv(redis.url, 'http://127.0.0.1:9'));
  const headers = { authorization: `Bearer ${apiKey}` };
  const baseline = await measure({
    url: `${bare.url}/v1/jobs`,
    body,
    connections: 50,
    processes: [bare.service, redis],
  });
  const llmq = await measure({
    url: `${api.url}/v1/jobs`,
    body,
    headers,
    connections: 50,
    processes: [api.service, redis],
  });
  const rate = Math.max(100, Math.round(baseline.requests_per_second / 2));
  const baselinePaced = await measure({ url: `${bare.url}/v1/jobs`, body, connections: 50, rate });
  const llmqPaced = await measure({
    url: `${api.url}/v1/jobs`,
    body,
    headers,
    connections: 50,
    rate,
  });
  const errors = baseline.errors + llmq.errors + baselinePaced.errors + llmqPaced.errors;
  writeScenario(
    'async-submit',
    [
      row({
        metric: 'req/s, c=50',
        baseline: baseline.requests_per_second,
        measured: llmq.requests_per_second,
        target: '≥ 0.75×',
        met: llmq.requests_per_second >= 0.75 * baseline.requests_per_second,
      }),
      row({
        metric: 'CPU ms per request (server + Redis), c=50',
        baseline: baseline.cpu_ms_per_request,
        measured: llmq.cpu_ms_per_request,
        target: 'reported',
        met: true,
        notes: `${cpuNotes(baseline)} → ${cpuNotes(llmq)}`,
      }),
      row({
        metric: 'p99 ms, c=50 closed loop',
        baseline: baseline.p99_ms,
        measured: llmq.p99_ms,
        target: '≤ 15 ms',
        met: llmq.p99_ms <= 15,
      }),
      row({
        metric: `p99 ms at a fixed ${rate} req/s`,
        baseline: baselinePaced.p99_ms,
        measured: llmqPaced.p99_ms,
        target: '≤ 15 ms',
        met: llmqPaced.p99_ms <= 15,
        notes: `p50 ${baselinePaced.p50_ms} → ${llmqPaced.p50_ms} ms`,
      }),
      row({ metric: 'failed requests', measured: errors, target: '0', met: errors === 0 }),
    ],
    { duration_s: duration, baseline, llmq, paced_rate: rate, baselinePaced, llmqPaced },
  );
});
