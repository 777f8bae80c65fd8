// Scenario: batch ingest. Validating and queuing a 100,000-line batch file
// (`BENCH_INGEST_LINES`) against raw BullMQ `addBulk` of the same lines in the same run, the
// API's peak RSS, and a 20,000-line batch (`BENCH_COMPLETE_LINES`) run to completion through
// a worker and the simulator.

import { once } from 'node:events';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { benchEnv } from './lib/bench-env.mjs';
import {
  apiKey,
  llmqEnv,
  memoryOf,
  quick,
  round,
  row,
  runScenario,
  startApi,
  startSimulator,
  startWorker,
  waitUntil,
  writeScenario,
} from './lib/harness.mjs';

const ingestLines = benchEnv.BENCH_INGEST_LINES ?? (quick ? 10_000 : 100_000);
const completeLines = benchEnv.BENCH_COMPLETE_LINES ?? (quick ? 2_000 : 20_000);
const prefix = 'bench';

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

await runScenario('batch', async (server) => {
  const redis = new Redis(server.url);
  const directory = await mkdtemp(path.join(tmpdir(), 'llmq-bench-'));
  const simulator = await startSimulator();
  const env = llmqEnv(server.url, simulator.url);
  const api = await startApi(env);
  await startWorker({ ...env, BULK_WORKER_CONCURRENCY: '200' });
  const apiUrl = api.url;
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
    await waitUntil(
      async () => (await redis.hget(`${prefix}:batch:${created.id}`, 'lines_enqueued')) === '1',
      { timeoutMs: 600_000, intervalMs: 20, what: 'the ingest to finish' },
    );
    const ingestSeconds = (performance.now() - ingestStarted) / 1000;
    const apiMemory = memoryOf(api.service.pid);
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
    const finished = await waitUntil(
      async () => {
        const batch = await call('GET', `/v1/batches/${run.id}`);
        return ['completed', 'failed', 'cancelled', 'expired'].includes(batch.status)
          ? batch
          : undefined;
      },
      { timeoutMs: 900_000, intervalMs: 250, what: 'the batch to complete' },
    );
    const runSeconds = (performance.now() - runStarted) / 1000;

    const ingestRatio = round(rawSeconds / ingestSeconds);
    const withUpload = round(rawSeconds / (uploadSeconds + ingestSeconds));
    const failedLines = finished.request_counts?.failed ?? 0;
    writeScenario(
      'batch',
      [
        row({
          metric: `ingest lines/s, ${ingestLines.toLocaleString('en')} lines`,
          baseline: Math.round(ingestLines / rawSeconds),
          measured: Math.round(ingestLines / ingestSeconds),
          ratio: ingestRatio,
          target: '≥ 0.6×',
          met: ingestRatio >= 0.6,
          notes: `${withUpload}× with the upload counted`,
        }),
        row({
          metric: 'API peak RSS MB during the ingest',
          measured: apiMemory.peakMb,
          target: '≤ 300 MB',
          met: apiMemory.peakMb <= 300,
        }),
        row({
          metric: `batch of ${completeLines.toLocaleString('en')} lines run to completion, lines/s`,
          measured: Math.round(completeLines / runSeconds),
          target: 'completed, 0 failed lines',
          met: finished.status === 'completed' && failedLines === 0,
          notes: `${finished.status}, ${failedLines} failed, ${round(runSeconds, 1)} s`,
        }),
      ],
      {
        ingest: {
          lines: ingestLines,
          file_bytes: uploaded.bytes,
          raw_addbulk_seconds: round(rawSeconds),
          upload_seconds: round(uploadSeconds),
          ingest_seconds: round(ingestSeconds),
        },
        completion: {
          lines: completeLines,
          status: finished.status,
          request_counts: finished.request_counts,
        },
      },
    );
  } finally {
    await Promise.all([bulk.close(), raw.close()]);
    await redis.quit();
    await rm(directory, { recursive: true, force: true });
  }
});
