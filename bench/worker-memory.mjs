// Scenario: worker memory. First a worker on empty queues, its RSS 3 s after start. Then 10,000 jobs (`BENCH_MEMORY_JOBS`) are submitted over HTTP with no
// worker running; then one worker with concurrency 100 drains them against a simulator that
// answers in 50 ms (so 100 calls are in flight at once). Its peak RSS (VmHWM) is the figure;
// a second drain repeats it with V8's old space capped (`--max-old-space-size`).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchEnv } from './lib/bench-env.mjs';
import {
  apiKey,
  cannon,
  llmqEnv,
  memoryOf,
  quick,
  row,
  runScenario,
  sleep,
  startApi,
  startSimulator,
  startWorker,
  writeScenario,
} from './lib/harness.mjs';
import { openQueue } from './lib/queues.mjs';

const jobs = benchEnv.BENCH_MEMORY_JOBS ?? (quick ? 2_000 : 10_000);
const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'Write two sentences about queues and workers.' }],
  max_tokens: 64,
});

// The old-space cap of the second drain, MB (`BENCH_MEMORY_HEAP_MB`).
const cappedHeapMb = benchEnv.BENCH_MEMORY_HEAP_MB ?? 96;

/** RSS of a worker started on an empty queue, 3 s after it is up (what it holds doing nothing). */
async function idleRss(env) {
  const worker = await startWorker({ ...env, WORKER_CONCURRENCY: '100' });
  await sleep(3000);
  const { currentMb } = memoryOf(worker.service.pid);
  await worker.service.stop();
  return currentMb;
}

/** Submits `jobs` with no worker running, then drains them with one worker; its memory. */
async function drain(apiUrl, redisUrl, env, extraEnv) {
  await cannon({
    url: `${apiUrl}/v1/jobs`,
    body,
    headers: { authorization: `Bearer ${apiKey}` },
    connections: 50,
    amount: jobs,
  });
  const standard = openQueue(redisUrl, 'prompts-standard', 'bench');
  const waiting = await standard.pending();
  const worker = await startWorker({ ...env, ...extraEnv, WORKER_CONCURRENCY: '100' });
  const idle = memoryOf(worker.service.pid);
  const started = performance.now();
  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push(memoryOf(worker.service.pid).currentMb);
      await sleep(200);
    }
  })();
  await standard.drained(started, 900_000);
  sampling = false;
  await sampler;
  const seconds = (performance.now() - started) / 1000;
  const peak = memoryOf(worker.service.pid).peakMb;
  const failed = await standard.failed();
  await standard.close();
  await worker.service.stop();
  return {
    waiting,
    idle_rss_mb: idle.currentMb,
    peak_rss_mb: peak,
    drain_seconds: Number(seconds.toFixed(1)),
    jobs_per_second: Math.round(waiting / seconds),
    failed,
    rss_samples_mb: samples,
  };
}

await runScenario('worker-memory', async (redis) => {
  const config = path.join(os.tmpdir(), `llmq-bench-sim-${process.pid}.json`);
  fs.writeFileSync(config, JSON.stringify({ models: { 'sim-gpt-fast': { latencyMs: 50 } } }));
  try {
    const simulator = await startSimulator({ SIMULATOR_CONFIG: config });
    const env = llmqEnv(redis.url, simulator.url);
    const api = await startApi(env);
    const idle = await idleRss(env);
    const plain = await drain(api.url, redis.url, env, {});
    // The same with V8's old space capped: shows how much of the peak is garbage not yet
    // collected (V8 lets the heap grow under a high allocation rate) rather than live data.
    const capped = await drain(api.url, redis.url, env, {
      NODE_OPTIONS: `--max-old-space-size=${cappedHeapMb}`,
    });
    const notes = (run) =>
      `RSS at start ${run.idle_rss_mb} MB; drained in ${run.drain_seconds} s (${run.jobs_per_second} jobs/s at 50 ms per call); ${run.failed} failed`;
    writeScenario(
      'worker-memory',
      [
        row({
          metric: 'idle worker RSS MB (3 s after start, empty queues)',
          measured: idle,
          target: '≤ 100 MB',
          met: idle <= 100,
        }),
        row({
          metric: `worker peak RSS MB, ${plain.waiting.toLocaleString('en')} waiting jobs, concurrency 100`,
          measured: plain.peak_rss_mb,
          target: '≤ 200 MB',
          met: plain.peak_rss_mb <= 200 && plain.waiting >= jobs && plain.failed === 0,
          notes: notes(plain),
        }),
        row({
          metric: `the same with NODE_OPTIONS=--max-old-space-size=${cappedHeapMb}`,
          measured: capped.peak_rss_mb,
          target: '≤ 200 MB',
          met: capped.peak_rss_mb <= 200 && capped.waiting >= jobs && capped.failed === 0,
          notes: notes(capped),
        }),
      ],
      { jobs, idle_rss_mb: idle, plain, capped },
    );
  } finally {
    fs.rmSync(config, { force: true });
  }
});
