// Scenario: async end to end. HTTP submits at 50 connections for the run's duration, a worker
// (concurrency 50) runs each job through the pipeline to the simulator (0 ms) and stores the
// result; completed jobs/s = accepted jobs / time until the last one finished. Baseline: the
// bare Express `queue.add` route with a no-op BullMQ worker at the same concurrency.
import {
  apiKey,
  cannon,
  cpuMsOf,
  duration,
  llmqEnv,
  round,
  row,
  runScenario,
  startApi,
  startBaseline,
  startSimulator,
  startWorker,
  summarize,
  warmup,
  writeScenario,
} from './lib/harness.mjs';
import { openQueue } from './lib/queues.mjs';

const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'Summarise the quick brown fox in one line.' }],
  max_tokens: 32,
});

/** Submits for `duration` s, then waits for the queue to drain: completed jobs per second. */
async function endToEnd(url, headers, queue, processes) {
  await cannon({ url, body, headers, connections: 50, seconds: warmup });
  await queue.drained(performance.now());
  const cpuBefore = processes.map((service) => cpuMsOf(service.pid));
  const started = performance.now();
  const submitted = summarize(await cannon({ url, body, headers, connections: 50 }));
  const elapsedMs = await queue.drained(started);
  // CPU each process spent per completed job: where the cost is, independent of contention.
  const cpuMsPerJob = Object.fromEntries(
    processes.map((service, index) => [
      service.name,
      round((cpuMsOf(service.pid) - cpuBefore[index]) / submitted.ok, 3),
    ]),
  );
  return {
    cpu_ms_per_job: cpuMsPerJob,
    submitted,
    completed_per_second: Math.round(submitted.ok / (elapsedMs / 1000)),
    drain_after_submit_ms: Math.round(elapsedMs - duration * 1000),
    failed_jobs: await queue.failed(),
  };
}

await runScenario('async-e2e', async (redis) => {
  const bare = await startBaseline('bare-server', { REDIS_URL: redis.url, BASELINE_MODE: 'queue' });
  const noop = await startBaseline('noop-worker', {
    REDIS_URL: redis.url,
    CONCURRENCY: '50',
    NO_HTTP: '1',
  });
  const bareQueue = openQueue(redis.url, 'bare', 'baseline');
  const baseline = await endToEnd(`${bare.url}/v1/jobs`, {}, bareQueue, [
    bare.service,
    noop.service,
  ]);
  await Promise.all([bare.service.stop(), noop.service.stop(), bareQueue.close()]);

  const simulator = await startSimulator();
  const env = llmqEnv(redis.url, simulator.url);
  const api = await startApi(env);
  const worker = await startWorker({ ...env, WORKER_CONCURRENCY: '50' });
  const standard = openQueue(redis.url, 'prompts-standard', 'bench');
  const llmq = await endToEnd(
    `${api.url}/v1/jobs`,
    { authorization: `Bearer ${apiKey}` },
    standard,
    [api.service, worker.service, simulator.service],
  );
  await standard.close();

  const errors = baseline.submitted.errors + llmq.submitted.errors + llmq.failed_jobs;
  writeScenario(
    'async-e2e',
    [
      row({
        metric: 'completed jobs/s (submit c=50 → result stored)',
        baseline: baseline.completed_per_second,
        measured: llmq.completed_per_second,
        target: '≥ 0.5×',
        met: llmq.completed_per_second >= 0.5 * baseline.completed_per_second,
        notes: `submit req/s ${baseline.submitted.requests_per_second} → ${llmq.submitted.requests_per_second}; drain after the run ${round(baseline.drain_after_submit_ms / 1000, 1)} → ${round(llmq.drain_after_submit_ms / 1000, 1)} s`,
      }),
      row({
        metric: 'CPU ms per completed job (bare server + no-op worker → API + worker + simulator)',
        baseline: round(
          Object.values(baseline.cpu_ms_per_job).reduce((sum, value) => sum + value, 0),
          2,
        ),
        measured: round(
          Object.values(llmq.cpu_ms_per_job).reduce((sum, value) => sum + value, 0),
          2,
        ),
        target: 'reported',
        met: true,
        notes: Object.entries(llmq.cpu_ms_per_job)
          .map(([name, value]) => `${name} ${value}`)
          .join(', '),
      }),
      row({ metric: 'failed requests or jobs', measured: errors, target: '0', met: errors === 0 }),
    ],
    { duration_s: duration, baseline, llmq },
  );
});
