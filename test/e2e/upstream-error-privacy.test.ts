import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSystem } from './system-harness';

/**
 * A provider whose error message quotes the prompt (as some servers do for a request they
 * cannot serve): the client gets that message in its 502, but neither process prints it or
 * exports it in a span. Real API and worker processes; every provider of the catalog points at
 * this stub, and their traces at a raw OTLP receiver.
 */
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
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${tracesPort}`,
    },
  });
});
afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
  traces?.closeAllConnections();
  await new Promise((resolve) => traces?.close(resolve));
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
