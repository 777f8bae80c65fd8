// Scenario: worker memory. 10,000 jobs (`BENCH_MEMORY_JOBS`) are submitted over HTTP with no
// worker running; then one worker with concurrency 100 drains them against a simulator that
// answers in 50 ms (so 100 calls are in flight at once). Its peak RSS (VmHWM) is the figure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  summarize,
  writeScenario,
} from './lib/harness.mjs';
import { openQueue } from './lib/queues.mjs';

const jobs = Number(process.env.BENCH_MEMORY_JOBS ?? (quick ? 2_000 : 10_000));
const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'Write two sentences about queues and workers.' }],
  max_tokens: 64,
});

await runScenario('worker-memory', async (redis) => {
  const config = path.join(os.tmpdir(), `llmq-bench-sim-${process.pid}.json`);
  fs.writeFileSync(config, JSON.stringify({ models: { 'sim-gpt-fast': { latencyMs: 50 } } }));
  try {
    const simulator = await startSimulator({ SIMULATOR_CONFIG: config });
    const env = llmqEnv(redis.url, simulator.url);
    const api = await startApi(env);
    const submitted = summarize(
      await cannon({
        url: `${api.url}/v1/jobs`,
        body,
        headers: { authorization: `Bearer ${apiKey}` },
        connections: 50,
        amount: jobs,
      }),
    );
    const standard = openQueue(redis.url, 'prompts-standard', 'bench');
    const waiting = await standard.pending();
    const worker = await startWorker({ ...env, WORKER_CONCURRENCY: '100' });
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
    const drainSeconds = (performance.now() - started) / 1000;
    const peak = memoryOf(worker.service.pid).peakMb;
    const failed = await standard.failed();
    await standard.close();
    writeScenario(
      'worker-memory',
      [
        row({
          metric: `worker peak RSS MB, ${waiting.toLocaleString('en')} waiting jobs, concurrency 100`,
          measured: peak,
          target: '≤ 200 MB',
          met: peak <= 200 && waiting >= jobs,
          notes: `RSS at start ${idle.currentMb} MB; drained in ${drainSeconds.toFixed(1)} s (${Math.round(waiting / drainSeconds)} jobs/s at 50 ms per call); ${failed} failed`,
        }),
      ],
      {
        jobs,
        waiting,
        submitted,
        idle_rss_mb: idle.currentMb,
        peak_rss_mb: peak,
        rss_samples_mb: samples,
      },
    );
  } finally {
    fs.rmSync(config, { force: true });
  }
});
