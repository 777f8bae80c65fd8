import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';

/**
 * A provider whose error message quotes the prompt (as some servers do for a request they
 * cannot serve): the client gets that message in its 502, a key with `jobs:content` reads it
 * on the job, but a `jobs:read` key, the read-only Bull Board, the logs and the traces never
 * see it. Real API and worker processes; every provider of the catalog points at this stub,
 * and their traces at a raw OTLP receiver.
 */
const adminKey = 'e2e-admin-key-000000000000000001';
const prompt = 'the merger terms of zebra holdings and okapi partners';

let upstream: Server;
let traces: Server;
/** Every OTLP export body, as text (JSON or protobuf: a string is its UTF-8 bytes in both). */
const exported: string[] = [];
let system: Awaited<ReturnType<typeof startSystem>>;

beforeAll(async () => {
  upstream = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const quoted = body.includes(prompt) ? prompt : 'something else';
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          type: 'error',
          error: { type: 'api_error', message: `cannot serve the prompt "${quoted}"` },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  traces = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      exported.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => traces.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  const tracesPort = (traces.address() as AddressInfo).port;
  system = await startSystem({
    env: {
      LOG_LEVEL: 'debug',
      SIMULATOR_URL: `http://127.0.0.1:${port}`,
      JOB_ATTEMPTS: '1',
      // Every call fails here: no circuit may open between the tests.
      CIRCUIT_CONSECUTIVE_FAILURES: '1000',
      CIRCUIT_MIN_REQUESTS: '1000',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${tracesPort}`,
    },
    apiEnv: { ADMIN_API_KEY: adminKey },
  });
});
afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
  traces?.closeAllConnections();
  await new Promise((resolve) => traces?.close(resolve));
});

/** A key of `tenant` holding `scopes`, issued by the admin API. */
async function issuedKey(tenant: string, scopes: string[]): Promise<string> {
  const created = await system.request(
    'POST',
    '/v1/admin/keys',
    { tenant, scopes },
    { Authorization: `Bearer ${adminKey}` },
  );
  expect(created.status).toBe(201);
  return created.body.key;
}

/** A GET's body as text, with `key`. */
async function read(path: string, key: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${system.apiUrl}${path}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  return { status: response.status, text: await response.text() };
}

it("shows a provider's error text only to keys with jobs:content, never on the read-only board", async () => {
  const reader = await issuedKey('e2e', ['jobs:read']);
  const contentReader = await issuedKey('e2e', ['jobs:read', 'jobs:content']);
  const operator = await issuedKey('ops', ['admin:read']);
  const jobId = await system.submit({
    model: 'sim-gpt-fast',
    messages: [{ role: 'user', content: prompt }],
  });
  const failed = await system.waitForJob(jobId);
  expect(failed.status).toBe('failed');

  // A key that may read prompts reads the provider's text, which did quote the prompt…
  const full = JSON.parse((await read(`/v1/jobs/${jobId}`, contentReader)).text);
  expect(full.error.message).toContain(prompt);
  // …a jobs:read key sees what failed (code, provider, status) without it…
  const seen = await read(`/v1/jobs/${jobId}`, reader);
  expect(seen.status).toBe(200);
  expect(JSON.parse(seen.text).error).toMatchObject({
    code: 'provider_server_error',
    provider: full.error.provider,
    status_code: 500,
    message: expect.stringContaining('jobs:content'),
  });
  expect(seen.text.includes(prompt) ? 'the prompt is in the job' : null).toBeNull();
  // …in the job list and the job's events too.
  const listed = await read('/v1/jobs?status=failed', reader);
  expect(JSON.parse(listed.text).data.map((job: { id: string }) => job.id)).toContain(jobId);
  expect(listed.text.includes(prompt) ? 'the prompt is in the list' : null).toBeNull();
  const events = await read(`/v1/jobs/${jobId}/events`, reader);
  expect(events.text).toContain('provider_server_error');
  expect(events.text.includes(prompt) ? 'the prompt is in the events' : null).toBeNull();

  // A background response that failed the same way: its error without the text.
  const created = await system.request('POST', '/v1/responses', {
    model: 'sim-gpt-fast',
    input: prompt,
    background: true,
  });
  expect(created.status).toBe(200);
  const response = await waitFor(
    async () => {
      const body = JSON.parse((await read(`/v1/responses/${created.body.id}`, reader)).text);
      return body.status === 'failed' ? body : undefined;
    },
    { timeoutMs: 30_000, what: 'the response to fail' },
  );
  expect(response.error.code).toBeDefined();
  expect(
    JSON.stringify(response).includes(prompt) ? 'the prompt is in the response' : null,
  ).toBeNull();
  const replay = await read(`/v1/responses/${created.body.id}?stream=true`, reader);
  expect(replay.text).toContain('response.failed');
  expect(replay.text.includes(prompt) ? 'the prompt is in the replay' : null).toBeNull();

  // The read-only board shows the failed job and why, in llmq's words.
  const board = await read(`/admin/queues/api/queues/prompts-standard/${jobId}`, operator);
  expect(board.status).toBe(200);
  expect(JSON.parse(board.text).job).toMatchObject({ id: jobId, failedReason: expect.any(String) });
  expect(board.text).toContain('provider_server_error');
  expect(board.text.includes(prompt) ? 'the prompt is on the board' : null).toBeNull();
});

it("keeps a provider's error text that quotes the prompt out of the logs and the traces", async () => {
  const answer = await system.request('POST', '/v1/chat/completions', {
    model: 'sim-gpt-fast',
    messages: [{ role: 'user', content: prompt }],
  });
  // The upstream did quote the prompt, and the client (whose prompt it is) was told…
  expect(answer.status).toBe(502);
  expect(answer.body.error.code).toBe('job_failed');
  expect(answer.body.error.message).toContain(prompt);

  // …and the processes logged the failure, without the text.
  const logs = system.api.output() + system.workers.map((worker) => worker.output()).join('');
  expect(logs).toContain('"event":"request-error"');
  expect(logs).toContain('"code":"job_failed"');
  expect(logs.includes(prompt) ? 'the prompt is in the logs' : null).toBeNull();

  // A graceful stop flushes the batched spans: the failed job's spans were exported, without it.
  await Promise.all([
    system.api.stop('SIGTERM'),
    ...system.workers.map((worker) => worker.stop('SIGTERM')),
  ]);
  const spans = exported.join('\n');
  expect(spans).toContain('llmq.outcome');
  expect(spans.includes(prompt) ? 'the prompt is in the traces' : null).toBeNull();
});
