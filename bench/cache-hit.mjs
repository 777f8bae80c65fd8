// Scenario: exact cache hits on the sync endpoint at 50 connections: a deterministic request
// (temperature 0) answered once, then served by the API from Redis without the queue.
// Baseline: a bare Express 5 route answering a constant chat completion.
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
  startSimulator,
  startWorker,
  writeScenario,
} from './lib/harness.mjs';

const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'What is the capital of France?' }],
  max_tokens: 32,
  temperature: 0,
});

await runScenario('cache-hit', async (redis) => {
  const bare = await startBaseline('bare-server', { BASELINE_MODE: 'constant' });
  const simulator = await startSimulator();
  const env = llmqEnv(redis.url, simulator.url);
  const api = await startApi(env);
  const worker = await startWorker(env);
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const first = await fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers, body });
  if (!first.ok) throw new Error(`the first request answered ${first.status}`);
  // Only hits from now on: the worker is not needed, and stopping it frees its CPU share.
  await worker.service.stop();
  const check = await fetch(`${api.url}/v1/chat/completions`, { method: 'POST', headers, body });
  if (check.headers.get('x-llmq-cached') !== 'true')
    throw new Error('the second request was not a cache hit');

  const baseline = await measure({
    url: `${bare.url}/v1/chat/completions`,
    body,
    connections: 50,
    processes: [bare.service],
  });
  const llmq = await measure({
    url: `${api.url}/v1/chat/completions`,
    body,
    headers,
    connections: 50,
    processes: [api.service, redis],
  });
  const errors = baseline.errors + llmq.errors;
  writeScenario(
    'cache-hit',
    [
      row({
        metric: 'req/s of exact cache hits, c=50',
        baseline: baseline.requests_per_second,
        measured: llmq.requests_per_second,
        target: '≥ 0.5×',
        met: llmq.requests_per_second >= 0.5 * baseline.requests_per_second,
        notes: `p50/p99 ms ${baseline.p50_ms}/${baseline.p99_ms} → ${llmq.p50_ms}/${llmq.p99_ms}`,
      }),
      row({
        metric: 'CPU ms per request (server, + Redis for llmq)',
        baseline: baseline.cpu_ms_per_request,
        measured: llmq.cpu_ms_per_request,
        target: 'reported',
        met: true,
        notes: cpuNotes(llmq),
      }),
      row({ metric: 'failed requests', measured: errors, target: '0', met: errors === 0 }),
    ],
    { duration_s: duration, baseline, llmq },
  );
});
