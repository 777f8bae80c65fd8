// Batch benchmark (`npm run bench`): ingest of a 100,000-line file against raw BullMQ
// addBulk measured in the same run, the API's peak memory, and a 20,000-line batch run to
// completion through a real worker and the simulator. Uses the built apps (run `tsc -b` first).

import { once } from 'node:events';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const {
  spawnService,
  freePort,
  waitFor,
  uniquePrefix,
  cleanupPrefix,
} = require('../packages/testing/dist/index.js');
const { Queue } = require('bullmq');
const { Redis } = require('ioredis');

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ingestLines = Number(process.env.BENCH_INGEST_LINES ?? 100_000);
const completeLines = Number(process.env.BENCH_COMPLETE_LINES ?? 20_000);
const apiKey = 'bench-key-000001';

function line(index) {
  return JSON.stringify({
    custom_id: `request-${index}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: `Write one sentence about the number ${index}.` }],
      max_tokens: 16,
    },
  });
}

async function writeBatchFile(file, count) {
  const stream = createWriteStream(file);
  for (let index = 0; index < count; index += 1) {
    if (!stream.write(`${line(index)}\n`)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

/** Peak and current resident memory of a process, MB (Linux /proc). */
async function memoryOf(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { peakMb: Math.round(field('VmHWM')), currentMb: Math.round(field('VmRSS')) };
}

async function main() {
  const prefix = uniquePrefix('bench-batch');
  const redis = new Redis(redisUrl);
  const directory = await mkdtemp(path.join(tmpdir(), 'llmq-bench-'));
  const simulatorPort = await freePort();
  const apiPort = await freePort();
  const simulator = spawnService('llm-simulator', {
    SIMULATOR_PORT: String(simulatorPort),
    LOG_LEVEL: 'warn',
  });
  const env = {
    REDIS_URL: redisUrl,
    LLMQ_PREFIX: prefix,
    SIMULATOR_URL: `http://127.0.0.1:${simulatorPort}`,
    LOG_LEVEL: 'warn',
  };
  const api = spawnService('api', {
    ...env,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    API_KEYS: `bench:${apiKey}`,
  });
  const worker = spawnService('worker', { ...env, BULK_WORKER_CONCURRENCY: '200' });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const bulk = new Queue('prompts-bulk', { connection: redis, prefix });
  const raw = new Queue('bench-raw', { connection: redis, prefix });
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
  const upload = async (file) => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', await openAsBlob(file), path.basename(file));
    return call('POST', '/v1/files', form);
  };

  try {
    for (const [name, service] of [
      ['simulator', simulator],
      ['api', api],
    ]) {
      await waitFor(
        async () => {
          if (service.child.exitCode !== null)
            throw new Error(`${name} exited:\n${service.output()}`);
          const url =
            name === 'api' ? `${apiUrl}/readyz` : `http://127.0.0.1:${simulatorPort}/_sim/health`;
          return (await fetch(url).catch(() => undefined))?.ok ? true : undefined;
        },
        { timeoutMs: 20_000, what: `${name} to start` },
      );
    }

    // 1. Raw BullMQ addBulk of the same number of jobs, data shaped like batch lines.
    const rawStarted = performance.now();
    for (let start = 0; start < ingestLines; start += 1000) {
      const jobs = [];
      for (let index = start; index < Math.min(ingestLines, start + 1000); index += 1) {
        jobs.push({
          name: 'batch-line',
          data: {
            batchId: 'batch_raw',
            tenant: 'bench',
            index,
            customId: `request-${index}`,
            model: 'sim-gpt-fast',
            request: {
              messages: [
                { role: 'user', content: `Write one sentence about the number ${index}.` },
              ],
              maxTokens: 16,
            },
            createdAt: Date.now(),
          },
          opts: {
            jobId: `raw-${index}`,
            attempts: 3,
            removeOnComplete: { age: 3600, count: 1000 },
          },
        });
      }
      await raw.addBulk(jobs);
    }
    const rawSeconds = (performance.now() - rawStarted) / 1000;
    await raw.obliterate({ force: true });

    // 2. llmq ingest of a file of the same size; the bulk lane is paused so the worker's
    //    line processing does not compete with the measurement.
    const bigFile = path.join(directory, 'ingest.jsonl');
    await writeBatchFile(bigFile, ingestLines);
    await bulk.pause();
    const uploadStarted = performance.now();
    const uploaded = await upload(bigFile);
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    const ingestStarted = performance.now();
    const created = await call('POST', '/v1/batches', {
      input_file_id: uploaded.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    await waitFor(
      async () =>
        (await redis.hget(`${prefix}:batch:${created.id}`, 'lines_enqueued')) === '1'
          ? true
          : undefined,
      { timeoutMs: 600_000, intervalMs: 20, what: 'the ingest to finish' },
    );
    const ingestSeconds = (performance.now() - ingestStarted) / 1000;
    const apiMemory = await memoryOf(api.child.pid);
    await call('POST', `/v1/batches/${created.id}/cancel`);
    await bulk.obliterate({ force: true });
    await bulk.resume();

    // 3. A batch run to completion through the worker and the simulator.
    const smallFile = path.join(directory, 'complete.jsonl');
    await writeBatchFile(smallFile, completeLines);
    const runStarted = performance.now();
    const runFile = await upload(smallFile);
    const run = await call('POST', '/v1/batches', {
      input_file_id: runFile.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const finished = await waitFor(
      async () => {
        const batch = await call('GET', `/v1/batches/${run.id}`);
        return ['completed', 'failed', 'cancelled', 'expired'].includes(batch.status)
          ? batch
          : undefined;
      },
      { timeoutMs: 900_000, intervalMs: 250, what: 'the batch to complete' },
    );
    const runSeconds = (performance.now() - runStarted) / 1000;

    const results = {
      date: new Date().toISOString(),
      node: process.version,
      ingest: {
        lines: ingestLines,
        file_bytes: uploaded.bytes,
        raw_addbulk_lines_per_second: Math.round(ingestLines / rawSeconds),
        upload_lines_per_second: Math.round(ingestLines / uploadSeconds),
        ingest_lines_per_second: Math.round(ingestLines / ingestSeconds),
        ingest_vs_raw_addbulk: Number((rawSeconds / ingestSeconds).toFixed(2)),
        upload_and_ingest_vs_raw_addbulk: Number(
          (rawSeconds / (uploadSeconds + ingestSeconds)).toFixed(2),
        ),
        api_peak_rss_mb: apiMemory.peakMb,
      },
      completion: {
        lines: completeLines,
        status: finished.status,
        request_counts: finished.request_counts,
        seconds: Number(runSeconds.toFixed(1)),
        lines_per_second: Math.round(completeLines / runSeconds),
      },
    };
    await writeFile(
      path.join(path.dirname(new URL(import.meta.url).pathname), 'results', 'batch.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    if (finished.status !== 'completed') process.exitCode = 1;
  } finally {
    await Promise.all([api.stop('SIGKILL'), worker.stop('SIGKILL'), simulator.stop('SIGKILL')]);
    await Promise.all([bulk.close(), raw.close()]);
    await cleanupPrefix(redis, prefix);
    await redis.quit();
    await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`batch bench failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
