import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import {
  createLogger,
  createMetrics,
  createProviderRegistry,
  createQueue,
  createRedisConnection,
  createRequestExecutor,
  createTracing,
  defaultFilterPolicy,
  defaultProviderAccounts,
  JobStore,
  JobSubmitter,
  loadModelCatalog,
  ModelCatalog,
  RedisKeys,
  SubmissionStore,
  type Tracing,
} from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import { createPromptPipeline } from '@llmq/runner';
import { cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { createApp } from '../../apps/api/src/app';
import { ApiKeyRegistry } from '../../apps/api/src/http/api-keys';
import { type ApiSecurity, createApiSecurity } from '../../apps/api/src/http/api-security';
import { type RunningPromptWorker, startPromptWorker } from '../../apps/worker/src/prompt-worker';

// The API and the worker run in this one jest process, but as two separate "processes" for
// tracing: each has its own tracer provider and in-memory exporter, no global context, and
// they share nothing but Redis. The only way a worker span can join the API's trace is the
// trace context carried inside the BullMQ job's data.

const apiKey = 'trace-test-key-01';
const quiet = () =>
  createLogger({
    service: 'trace-test',
    level: 'error',
    stream: new Writable({ write: (_c, _e, cb) => cb() }),
  });

let simulator: Awaited<ReturnType<typeof startSimulator>>;
let keys: RedisKeys;
let connection: ReturnType<typeof createRedisConnection>;
let queue: ReturnType<typeof createQueue>;
let server: Server;
let security: ApiSecurity;
let apiUrl: string;
let worker: RunningPromptWorker;
let providers: ReturnType<typeof createProviderRegistry>;
let apiTracing: Tracing;
let workerTracing: Tracing;
const apiSpans = new InMemorySpanExporter();
const workerSpans = new InMemorySpanExporter();
const workerMetrics = createMetrics({ defaultMetrics: false });
const workerLogLines: string[] = [];
const workerLogger = createLogger({
  service: 'worker',
  level: 'debug',
  stream: new Writable({
    write(chunk, _encoding, callback) {
      workerLogLines.push(String(chunk));
      callback();
    },
  }),
});

beforeAll(async () => {
  simulator = await startSimulator();
  keys = new RedisKeys(uniquePrefix('test-trace'));
  connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  queue = createQueue('prompt', connection, keys);
  const store = new JobStore(connection, keys, { resultTtlSeconds: 600 });
  const catalog = new ModelCatalog([
    ...loadModelCatalog().list(),
    {
      id: 'broken',
      provider: 'simulator-openai',
      upstream_model: 'not-a-sim-model',
      tier: 'fast',
      context_window: 8000,
      max_output_tokens: 1000,
      pricing: { input: 1, output: 2, cached_input: 0.5 },
      expected_latency_ms: 100,
    },
  ]);
  apiTracing = createTracing({ serviceName: 'llmq-api', exporter: apiSpans });
  workerTracing = createTracing({ serviceName: 'llmq-worker', exporter: workerSpans });

  security = await createApiSecurity({
    redis: connection,
    keys,
    logger: quiet(),
    staticKeys: new ApiKeyRegistry([{ tenant: 'tenant-t', key: apiKey }]),
    filterDefaults: defaultFilterPolicy,
  });
  const app = createApp({
    redis: connection,
    queue,
    store,
    submitter: new JobSubmitter({
      queue,
      store,
      submissions: new SubmissionStore(connection, keys, {
        recordTtlSeconds: store.pendingTtlSeconds,
      }),
      catalog,
      defaultModel: 'sim-gpt-fast',
      attempts: 1,
    }),
    security,
    logger: quiet(),
    bodyLimit: '64kb',
    tracer: apiTracing.tracer,
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  providers = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 5000 }),
  );
  worker = await startPromptWorker({
    connection,
    keys,
    store,
    logger: quiet(),
    pipeline: createPromptPipeline({
      store,
      catalog,
      logger: workerLogger,
      tracer: workerTracing.tracer,
      metrics: workerMetrics,
      execute: createRequestExecutor({
        catalog,
        policy: { maxRetriesPerModel: 0, baseDelayMs: 10, maxDelayMs: 50, maxInlineWaitMs: 1000 },
        resolveModel: (entry) => providers.languageModel(entry.provider, entry.upstream_model),
      }),
    }),
    concurrency: 2,
    lockDurationMs: 5000,
    stalledIntervalMs: 5000,
    maxStalledCount: 1,
  });
});

afterAll(async () => {
  await worker?.close(5000);
  await new Promise((resolve) => server?.close(resolve));
  await security?.close();
  await queue?.close();
  await providers?.close();
  await apiTracing?.shutdown();
  await workerTracing?.shutdown();
  await simulator?.close();
  await cleanupPrefix(connection, keys.prefix);
  await connection?.quit();
});

async function submitAndFinish(body: unknown): Promise<{ jobId: string; status: string }> {
  const response = await fetch(`${apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  return waitFor(
    async () => {
      const poll = await fetch(`${apiUrl}/v1/jobs/${id}`, {
        headers: { Authorization: `Bearer ${apiKey}` },
      });
      const job = (await poll.json()) as { status: string };
      return ['completed', 'failed'].includes(job.status)
        ? { jobId: id, status: job.status }
        : undefined;
    },
    { what: `job ${id}` },
  );
}

function spansOf(exporter: InMemorySpanExporter, traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
}

describe('one trace from the API request through the job to the provider call', () => {
  it('joins the API span, the worker span and the provider span through the job data', async () => {
    const { jobId, status } = await submitAndFinish({
      model: 'sim-claude-fast',
      prompt: 'echo: trace me',
      max_tokens: 20,
    });
    expect(status).toBe('completed');

    const apiSpan = apiSpans
      .getFinishedSpans()
      .find((span) => span.name === 'POST /v1/jobs' && span.kind === SpanKind.SERVER);
    expect(apiSpan).toBeDefined();
    const traceId = apiSpan?.spanContext().traceId ?? '';
    expect(apiSpan?.attributes).toMatchObject({
      'http.route': '/v1/jobs',
      'http.response.status_code': 202,
      'llmq.tenant': 'tenant-t',
    });

    // The context crossed inside the job: it is in the BullMQ job's data.
    const bullJob = await queue.getJob(jobId);
    expect(bullJob?.data.traceparent).toMatch(
      new RegExp(`^00-${traceId}-${apiSpan?.spanContext().spanId}-01$`),
    );

    const workerSide = spansOf(workerSpans, traceId);
    const jobSpan = workerSide.find((span) => span.kind === SpanKind.CONSUMER);
    const providerSpan = workerSide.find((span) => span.kind === SpanKind.CLIENT);
    expect(jobSpan?.name).toBe('process prompts-standard');
    expect(jobSpan?.parentSpanContext?.spanId).toBe(apiSpan?.spanContext().spanId);
    expect(jobSpan?.attributes).toMatchObject({
      'messaging.message.id': jobId,
      'llmq.tenant': 'tenant-t',
      'llmq.outcome': 'completed',
    });
    expect(jobSpan?.attributes['llmq.queue_wait_ms']).toEqual(expect.any(Number));
    expect(jobSpan?.resource.attributes['service.name']).toBe('llmq-worker');

    expect(providerSpan?.parentSpanContext?.spanId).toBe(jobSpan?.spanContext().spanId);
    expect(providerSpan?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'sim-claude-fast',
      'gen_ai.request.max_tokens': 20,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(providerSpan?.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(providerSpan?.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);

    // The provider call carried the provider span's context on the wire.
    // Worker log lines carry the request id, the job id, the tenant and the trace id, no text.
    const requestId = apiSpan?.attributes['llmq.request_id'];
    const lines = workerLogLines
      .map((line) => JSON.parse(line))
      .filter((line) => line.job_id === jobId);
    expect(lines.map((line) => line.event)).toEqual(
      expect.arrayContaining(['llm-request', 'llm-response', 'job-end']),
    );
    for (const line of lines)
      expect(line).toMatchObject({ request_id: requestId, tenant: 'tenant-t', trace_id: traceId });
    expect(lines.find((line) => line.event === 'llm-response')).toMatchObject({
      model: 'sim-claude-fast',
      input_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
      response_length: 'trace me'.length,
      prompt_length: 'echo: trace me'.length,
      latency_ms: expect.any(Number),
    });
    expect(workerLogLines.join('')).not.toContain('trace me');

    const call = simulator
      .counters()
      .recent.find((request) => request.headers['x-llmq-job-id'] === jobId);
    expect(call?.headers.traceparent).toBe(
      `00-${traceId}-${providerSpan?.spanContext().spanId}-01`,
    );
  });

  it('does not trace liveness probes', async () => {
    expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${apiUrl}/v1/nothing`)).status).toBe(401);
    const names = apiSpans.getFinishedSpans().map((span) => span.name);
    expect(names).toContain('GET unmatched');
    expect(names).not.toContain('GET /healthz');
  });

  it('marks a failed provider attempt on its span and counts it as an error', async () => {
    const { status } = await submitAndFinish({ model: 'broken', prompt: 'x' });
    expect(status).toBe('failed');
    const providerSpan = workerSpans
      .getFinishedSpans()
      .find((span) => span.kind === SpanKind.CLIENT && span.attributes['llmq.model'] === 'broken');
    expect(providerSpan?.status.code).toBe(SpanStatusCode.ERROR);
    expect(providerSpan?.attributes['error.type']).toBe('model_not_found');
    expect(providerSpan?.attributes['http.response.status_code']).toBe(404);
    const jobSpan = workerSpans
      .getFinishedSpans()
      .find((span) => span.spanContext().spanId === providerSpan?.parentSpanContext?.spanId);
    expect(jobSpan?.attributes['llmq.outcome']).toBe('failed');
    const requests = await workerMetrics.llmRequests.get();
    expect(requests.values).toContainEqual(
      expect.objectContaining({ labels: { model: 'broken', status: 'error' }, value: 1 }),
    );
  });
});
