import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  AddressPolicy,
  createLogger,
  createQueue,
  createRedisConnection,
  type JobResult,
  JobStore,
  RedisKeys,
  WebhookDeliveryStore,
  WebhookEndpointStore,
  WebhookMetrics,
  WebhookOutboxRelay,
  WebhookSender,
} from '@llmq/core';
import { cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { Webhook } from 'standardwebhooks';
import { createWebhookDeliveryProcessor } from '../src/webhooks/webhook-delivery-processor';
import { type RunningWebhookWorker, startWebhookWorker } from '../src/webhooks/webhook-worker';

const result: JobResult = {
  text: 'hi',
  message: { role: 'assistant', content: 'hi' },
  finish_reason: 'stop',
  model: 'sim-gpt-fast',
  upstream_model: 'sim-gpt-fast',
  provider: 'simulator-openai',
  usage: { input_tokens: 3, output_tokens: 1, cached_input_tokens: 0, total_tokens: 4 },
  timings: { queue_wait_ms: 1, provider_ms: 2, total_ms: 3 },
};

let keys: RedisKeys;
let connection: ReturnType<typeof createRedisConnection>;
let relayConnection: ReturnType<typeof createRedisConnection>;
let store: JobStore;
let deliveries: WebhookDeliveryStore;
let endpoints: WebhookEndpointStore;
let metrics: WebhookMetrics;
let sender: WebhookSender;
let queue: ReturnType<typeof createQueue>;
let running: RunningWebhookWorker;
let server: http.Server;
let statusToAnswer: number;
let received: { headers: http.IncomingHttpHeaders; body: string }[];
let receiverUrl: string;

beforeEach(async () => {
  received = [];
  statusToAnswer = 200;
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(statusToAnswer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  receiverUrl = `http://127.0.0.1:${port}/hook`;

  keys = new RedisKeys(uniquePrefix('test-webhooks'));
  connection = createRedisConnection({ url: testRedisUrl(), role: 'worker' });
  relayConnection = connection.duplicate();
  store = new JobStore(connection, keys, { resultTtlSeconds: 600 });
  deliveries = new WebhookDeliveryStore(connection, keys);
  endpoints = new WebhookEndpointStore(connection, keys);
  metrics = new WebhookMetrics();
  sender = new WebhookSender({ policy: new AddressPolicy([`127.0.0.1:${port}`]) });
  queue = createQueue('webhook-delivery', connection, keys);
  const logger = createLogger({
    service: 'webhook-test',
    level: 'error',
    stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
  });
  const retryDelaysMs = [0, 50];
  running = await startWebhookWorker({
    connection,
    keys,
    logger,
    processor: createWebhookDeliveryProcessor({ deliveries, endpoints, sender, metrics, logger }),
    relay: new WebhookOutboxRelay({
      connection: relayConnection,
      keys,
      jobs: store,
      endpoints,
      deliveries,
      queue,
      logger,
      consumer: 'test',
      attempts: retryDelaysMs.length + 1,
      blockMs: 100,
    }),
    retryDelaysMs,
    concurrency: 5,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
  });
});

afterEach(async () => {
  await running.close(5000);
  await queue.close();
  sender.close();
  await cleanupPrefix(connection, keys.prefix);
  await Promise.all([connection.quit(), relayConnection.quit()]);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function completeJobWithWebhook(id: string): Promise<void> {
  await store.create({
    id,
    tenant: 'acme',
    model: 'sim-gpt-fast',
    priority: 5,
    createdAt: Date.now(),
    webhook: { url: receiverUrl, events: ['job.completed', 'job.failed'] },
    notify: true,
  });
  await store.start(id);
  await store.complete(id, result);
}

describe('webhook worker', () => {
  it('delivers a completed job signed with the tenant secret and counts the success', async () => {
    await completeJobWithWebhook('job_ok');
    const [entry] = await waitFor(
      async () => {
        const list = await deliveries.listForJob('acme', 'job_ok');
        return list[0]?.delivery.status === 'succeeded' ? list : undefined;
      },
      { what: 'the delivery' },
    );
    expect(received).toHaveLength(1);
    const secret = (await endpoints.tenantSecrets('acme')).current;
    const headers = received[0]!.headers as Record<string, string>;
    expect(new Webhook(secret).verify(received[0]!.body, headers)).toMatchObject({
      type: 'job.completed',
      data: { id: 'job_ok', status: 'completed', result: { text: 'hi' } },
    });
    expect(entry?.attempts).toEqual([expect.objectContaining({ outcome: 'succeeded', run: 0 })]);
    expect(metrics.snapshot()).toEqual({ succeeded: 1 });
  });

  it('retries a failing receiver on the schedule, then marks the delivery failed', async () => {
    statusToAnswer = 500;
    await completeJobWithWebhook('job_bad');
    const [entry] = await waitFor(
      async () => {
        const list = await deliveries.listForJob('acme', 'job_bad');
        return list[0]?.delivery.status === 'failed' ? list : undefined;
      },
      { what: 'the delivery to fail' },
    );
    expect(entry?.attempts.map((attempt) => attempt.status_code)).toEqual([500, 500, 500]);
    expect(new Set(received.map((message) => message.headers['webhook-id'])).size).toBe(1);
    expect(metrics.snapshot()).toEqual({ http_error: 3 });
  });
});
