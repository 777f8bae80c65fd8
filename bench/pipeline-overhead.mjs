// Scenario: pipeline overhead at a paced rate (default 1,000 jobs/s, `BENCH_PIPELINE_RATE`;
// also 200 and 20 jobs/s, the last with no backlog at all).
// Jobs are submitted over HTTP at a smooth fixed rate with a worker (concurrency 50) and the
// simulator (0 ms); each stored result's `total_ms - provider_ms` is the time llmq added from
// acceptance to the result being stored (queue wait included). Baseline: raw BullMQ, jobs
// added at the same rate from this process, a no-op worker in another, finishedOn - timestamp.

import http from 'node:http';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { benchEnv } from './lib/bench-env.mjs';
import {
  apiKey,
  duration,
  llmqEnv,
  percentile,
  quick,
  round,
  row,
  runScenario,
  sleep,
  startApi,
  startBaseline,
  startSimulator,
  startWorker,
  writeScenario,
} from './lib/harness.mjs';
import { openQueue } from './lib/queues.mjs';

const rates = benchEnv.BENCH_PIPELINE_RATES ?? [
  benchEnv.BENCH_PIPELINE_RATE ?? 1000,
  quick ? 100 : 200,
  20,
];
const seconds = quick ? 3 : duration;
const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'Summarise the quick brown fox in one line.' }],
  max_tokens: 32,
});

/** Adds `rate` jobs per second for `seconds` from this process, in 10 ms ticks. */
async function addPaced(queue, rate, runSeconds) {
  const perTick = rate / 100;
  const started = performance.now();
  let added = 0;
  const adds = [];
  while (performance.now() - started < runSeconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; added < due && added < perTick * 100 * runSeconds; added += 1) {
      adds.push(queue.add('noop', { index: added }, { removeOnComplete: false, priority: 5 }));
    }
    await sleep(10);
  }
  await Promise.all(adds);
  return added;
}

async function rawBullmq(redisUrl, rate) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const name = `paced-${rate}`;
  const noop = await startBaseline('noop-worker', {
    REDIS_URL: redisUrl,
    BASELINE_QUEUE: name,
    CONCURRENCY: '50',
    NO_HTTP: '1',
  });
  const queue = new Queue(name, { connection, prefix: 'baseline' });
  await sleep(500);
  const added = await addPaced(queue, rate, seconds);
  const reader = openQueue(redisUrl, name, 'baseline');
  await reader.drained(performance.now());
  const jobs = await queue.getJobs(['completed'], 0, -1);
  const latencies = jobs.map((job) => job.finishedOn - job.timestamp);
  await Promise.all([reader.close(), queue.obliterate({ force: true })]);
  await queue.close();
  await connection.quit();
  await noop.service.stop();
  return {
    added,
    completed: jobs.length,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
  };
}

/**
 * Submits `rate` jobs per second over HTTP for `seconds`, in 10 ms ticks like the raw BullMQ
 * baseline (autocannon's fixed rate sends in bursts, which would add queueing the baseline
 * does not see). Keep-alive sockets, at most 100 requests in flight.
 */
async function submitPaced(apiUrl, rate, runSeconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
  const target = new URL(`${apiUrl}/v1/jobs`);
  const ids = [];
  let failed = 0;
  const post = () =>
    new Promise((resolve) => {
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${apiKey}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => {
            if (response.statusCode === 202) ids.push(JSON.parse(text).id);
            else failed += 1;
            resolve();
          });
        },
      );
      request.on('error', () => {
        failed += 1;
        resolve();
      });
      request.end(body);
    });
  const total = rate * runSeconds;
  const started = performance.now();
  const sent = [];
  while (sent.length < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    while (sent.length < due) sent.push(post());
    await sleep(10);
  }
  await Promise.all(sent);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { ids, failed, requests_per_second: Math.round(ids.length / seconds) };
}

async function llmqPaced(apiUrl, redisUrl, rate) {
  const submitted = await submitPaced(apiUrl, rate, seconds);
  const { ids } = submitted;
  const standard = openQueue(redisUrl, 'prompts-standard', 'bench');
  await standard.drained(performance.now());
  await standard.close();
  const redis = new Redis(redisUrl);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(`bench:job:${id}`, 'result');
  const overheads = [];
  const queueWaits = [];
  let missing = 0;
  for (const [, value] of await pipeline.exec()) {
    if (!value) {
      missing += 1;
      continue;
    }
    const { timings } = JSON.parse(value);
    overheads.push(round(timings.total_ms - timings.provider_ms, 1));
    queueWaits.push(timings.queue_wait_ms);
  }
  await redis.quit();
  return {
    submitted: { requests_per_second: submitted.requests_per_second, failed: submitted.failed },
    completed: overheads.length,
    missing,
    p50_ms: percentile(overheads, 50),
    p99_ms: percentile(overheads, 99),
    queue_wait_p50_ms: percentile(queueWaits, 50),
    queue_wait_p99_ms: percentile(queueWaits, 99),
  };
}

await runScenario('pipeline-overhead', async (redis) => {
  const baseline = {};
  for (const rate of rates) baseline[rate] = await rawBullmq(redis.url, rate);
  const simulator = await startSimulator();
  const env = llmqEnv(redis.url, simulator.url);
  const api = await startApi(env);
  await startWorker({ ...env, WORKER_CONCURRENCY: '50' });
  const llmq = {};
  for (const rate of rates) llmq[rate] = await llmqPaced(api.url, redis.url, rate);
  const rows = [];
  for (const rate of rates) {
    const reached = llmq[rate].submitted.requests_per_second;
    rows.push(
      row({
        metric: `overhead p50 ms at ${rate} jobs/s`,
        baseline: baseline[rate].p50_ms,
        measured: llmq[rate].p50_ms,
        target: '≤ 3 ms',
        met: llmq[rate].p50_ms <= 3,
        notes: `submit rate reached ${reached}/s; of which queue wait (accepted → worker started) p50 ${llmq[rate].queue_wait_p50_ms} ms`,
      }),
      row({
        metric: `overhead p99 ms at ${rate} jobs/s`,
        baseline: baseline[rate].p99_ms,
        measured: llmq[rate].p99_ms,
        target: '≤ 10 ms',
        met: llmq[rate].p99_ms <= 10,
        notes: `queue wait p99 ${llmq[rate].queue_wait_p99_ms} ms; ${llmq[rate].completed} results, ${llmq[rate].missing} missing, ${llmq[rate].submitted.failed} submits failed`,
      }),
    );
  }
  writeScenario('pipeline-overhead', rows, { seconds, baseline, llmq });
});
