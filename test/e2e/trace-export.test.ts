import { createServer, type Server } from 'node:http';
import { waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';

// The API and a worker run as real processes with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a
// tiny OTLP/HTTP receiver on loopback: the trace must cross the process boundary inside the job.

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}
interface ExportRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}
type ReceivedSpan = OtlpSpan & { service: string };

let receiver: Server;
let receiverUrl: string;
const received: ReceivedSpan[] = [];
const contentTypes: string[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      contentTypes.push(String(request.headers['content-type']));
      if (request.url === '/v1/traces' && /json/.test(String(request.headers['content-type']))) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest;
        for (const resourceSpans of body.resourceSpans) {
          const service =
            resourceSpans.resource.attributes.find((item) => item.key === 'service.name')?.value
              .stringValue ?? '';
          for (const scope of resourceSpans.scopeSpans)
            for (const span of scope.spans) received.push({ ...span, service });
        }
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

it('exports one trace over OTLP from the API process and the worker process', async () => {
  const system = await startSystem({
    workers: 1,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl },
  });
  let jobId: string;
  try {
    jobId = await system.submit({ model: 'sim-gpt-fast', prompt: 'echo: exported' });
    expect((await system.waitForJob(jobId)).status).toBe('completed');
    // A graceful stop flushes the batched spans.
    await Promise.all([
      system.api.stop('SIGTERM'),
      ...system.workers.map((worker) => worker.stop('SIGTERM')),
    ]);
  } finally {
    await system.stop();
  }

  const apiSpan = await waitFor(
    () => received.find((span) => span.service === 'llmq-api' && span.name === 'POST /v1/jobs'),
    { what: `the API span (content types seen: ${contentTypes.join(', ')})` },
  );
  const jobSpan = received.find(
    (span) => span.service === 'llmq-worker' && span.name === 'process prompts-standard',
  );
  expect(jobSpan).toMatchObject({ traceId: apiSpan.traceId, parentSpanId: apiSpan.spanId });
  const providerSpan = received.find(
    (span) => span.service === 'llmq-worker' && span.parentSpanId === jobSpan?.spanId,
  );
  expect(providerSpan?.name).toBe('chat sim-gpt-fast');
  expect(providerSpan?.traceId).toBe(apiSpan.traceId);
  expect(providerSpan?.attributes).toContainEqual({
    key: 'gen_ai.system',
    value: { stringValue: 'openai' },
  });
});

it("exports a sync job the API ran itself under the API's service name, in the request's trace", async () => {
  // No worker: the API runs the job (INLINE_CONCURRENCY), with its own tracing.
  const system = await startSystem({
    workers: 0,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl },
  });
  try {
    const response = await system.request('POST', '/v1/chat/completions', {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'echo: traced here' }],
    });
    expect(response.status).toBe(200);
    await system.api.stop('SIGTERM');
  } finally {
    await system.stop();
  }
  const requestSpan = await waitFor(
    () =>
      received.find(
        (span) => span.service === 'llmq-api' && span.name === 'POST /v1/chat/completions',
      ),
    { what: 'the sync request span' },
  );
  const jobSpan = received.find(
    (span) => span.traceId === requestSpan.traceId && span.name === 'process prompts-interactive',
  );
  expect(jobSpan?.service).toBe('llmq-api');
  const providerSpan = received.find(
    (span) => span.traceId === requestSpan.traceId && span.parentSpanId === jobSpan?.spanId,
  );
  expect(providerSpan).toMatchObject({ name: 'chat sim-gpt-fast', service: 'llmq-api' });
});
