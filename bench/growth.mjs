// Scenario: growth with queue depth. For 1,000 and then `BENCH_GROWTH_DEPTH` (default
// 1,000,000) waiting jobs, each on a fresh private Redis: the Redis memory per waiting job;
// the drain rate of a worker (concurrency 50, simulator 0 ms) over 500 jobs taken off that
// deep queue (its per-job pickup and run time); and the p99 of `POST /v1/jobs` at a fixed
// 200 req/s with the worker stopped. The backlog is filled with llmq's own JobSubmitter (the
// API's code path minus HTTP), so each waiting job has its record and event stream.

import { createRequire } from 'node:module';
import path from 'node:path';
import { Redis } from 'ioredis';
import { benchEnv } from './lib/bench-env.mjs';
import {
  apiKey,
  cannon,
  llmqEnv,
  quick,
  root,
  round,
  row,
  runScenario,
  sleep,
  startApi,
  startRedis,
  startSimulator,
  startWorker,
  stopAll,
  summarize,
  warmup,
  writeScenario,
} from './lib/harness.mjs';
import { openQueue } from './lib/queues.mjs';

const require = createRequire(import.meta.url);
const core = require('@llmq/core');

const depths = [1_000, benchEnv.BENCH_GROWTH_DEPTH ?? (quick ? 20_000 : 1_000_000)];
const submitRate = 200;
const submitSeconds = quick ? 3 : 5;
const drainJobs = 500;
const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'Summarise the quick brown fox in one line.' }],
  max_tokens: 32,
});

async function usedMemory(redis) {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

/** Queues `count` jobs through JobSubmitter, 500 in flight. */
async function fill(redisUrl, simulatorUrl, count) {
  const redis = core.createRedisConnection({ url: redisUrl, role: 'client', name: 'bench-fill' });
  const keys = new core.RedisKeys('bench');
  const catalog = core.loadModelCatalog(path.join(root, 'config', 'models.yaml'), {
    availableProviders: core.defaultProviderAccounts({ simulatorUrl }).map((account) => account.id),
  });
  const store = new core.JobStore(redis, keys, { resultTtlSeconds: 86_400 });
  const submitter = new core.JobSubmitter({
    queue: core.createQueue('prompt', redis, keys),
    store,
    idempotency: new core.IdempotencyStore(redis, keys),
    catalog,
    defaultModel: 'sim-gpt-fast',
    attempts: 3,
  });
  const request = {
    model: 'sim-gpt-fast',
    messages: [{ role: 'user', content: 'Summarise the quick brown fox in one line.' }],
    max_tokens: 32,
    priority: 5,
  };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 500 }, async () => {
      while (next < count) {
        next += 1;
        await submitter.submit({ tenant: 'bench', request });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await redis.quit();
  return seconds;
}

/** Time for the worker to take and finish `drainJobs` jobs once it is running. */
async function drainRate(env, redisUrl, depth) {
  const standard = openQueue(redisUrl, 'prompts-standard', 'bench');
  const worker = await startWorker({ ...env, WORKER_CONCURRENCY: '50' });
  // Skip the first 50 (start-up), then time the next `drainJobs`.
  const from = depth - 50;
  const to = from - drainJobs;
  let pending = await standard.pending();
  while (pending > from) {
    await sleep(2);
    pending = await standard.pending();
  }
  const started = performance.now();
  while (pending > to) {
    await sleep(2);
    pending = await standard.pending();
  }
  const seconds = (performance.now() - started) / 1000;
  await worker.service.stop();
  const left = await standard.pending();
  await standard.close();
  return {
    jobs_per_second: Math.round(drainJobs / seconds),
    ms_per_job: round((seconds * 1000) / drainJobs, 3),
    left,
  };
}

async function atDepth(depth) {
  const redis = await startRedis();
  try {
    const client = new Redis(redis.url);
    const simulator = await startSimulator();
    const env = llmqEnv(redis.url, simulator.url);
    const before = await usedMemory(client);
    const fillSeconds = await fill(redis.url, simulator.url, depth);
    const memoryPerJob = Math.round((await usedMemory(client)) - before) / depth;
    const drain = await drainRate(env, redis.url, depth);
    const api = await startApi(env);
    const headers = { authorization: `Bearer ${apiKey}` };
    const url = `${api.url}/v1/jobs`;
    await cannon({ url, body, headers, connections: 20, rate: submitRate, seconds: warmup });
    const submit = summarize(
      await cannon({
        url,
        body,
        headers,
        connections: 20,
        rate: submitRate,
        seconds: submitSeconds,
      }),
    );
    await client.quit();
    process.stdout.write(
      `depth ${depth}: ${JSON.stringify({ fillSeconds, memoryPerJob, drain, submit })}\n`,
    );
    return {
      depth,
      fill_seconds: round(fillSeconds, 1),
      redis_bytes_per_waiting_job: Math.round(memoryPerJob),
      drain,
      submit,
    };
  } finally {
    await stopAll();
    await redis.stop();
  }
}

await runScenario('growth', async () => {
  const small = await atDepth(depths[0]);
  const deep = await atDepth(depths[1]);
  const label = deep.depth.toLocaleString('en');
  writeScenario(
    'growth',
    [
      row({
        metric: `submit p99 ms at ${submitRate} req/s, 1,000 vs ${label} waiting`,
        baseline: small.submit.p99_ms,
        measured: deep.submit.p99_ms,
        target: '≤ 1.5×',
        met: deep.submit.p99_ms <= 1.5 * Math.max(small.submit.p99_ms, 1),
        notes: `p50 ${small.submit.p50_ms} → ${deep.submit.p50_ms} ms`,
      }),
      row({
        metric: `pickup: worker ms per job over ${drainJobs} jobs, 1,000 vs ${label} waiting`,
        baseline: small.drain.ms_per_job,
        measured: deep.drain.ms_per_job,
        target: '≤ 1.5×',
        met: deep.drain.ms_per_job <= 1.5 * small.drain.ms_per_job,
        notes: `${small.drain.jobs_per_second} → ${deep.drain.jobs_per_second} jobs/s at concurrency 50`,
      }),
      row({
        metric: 'Redis bytes per waiting job',
        baseline: small.redis_bytes_per_waiting_job,
        measured: deep.redis_bytes_per_waiting_job,
        target: 'reported',
        met: true,
        notes: `record, event stream and BullMQ job; ${label} jobs filled in ${deep.fill_seconds} s`,
      }),
    ],
    { small, deep },
  );
});
