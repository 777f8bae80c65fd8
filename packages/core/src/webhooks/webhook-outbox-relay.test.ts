import { Writable } from 'node:stream';
import { cleanupPrefix, testRedisUrl, uniquePrefix, waitFor } from '@llmq/testing';
import { Redis } from 'ioredis';
import type { BatchEndpoint } from '../batches/batch-record';
import { BatchStore } from '../batches/batch-store';
import { createQueue } from '../jobs/create-queue';
import type { JobResult } from '../jobs/job-record';
import { JobStore } from '../jobs/job-store';
import { RedisKeys } from '../redis/redis-keys';
import { createLogger } from '../telemetry/logger';
import { WebhookDeliveryStore } from './webhook-delivery-store';
import { WebhookEndpointStore } from './webhook-endpoint-store';
import { WebhookOutboxRelay } from './webhook-outbox-relay';

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

let redis: Redis;
let relayConnection: Redis;
let keys: RedisKeys;
let jobs: JobStore;
let relay: WebhookOutboxRelay | undefined;
let queue: ReturnType<typeof createQueue>;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  relayConnection = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-relay'));
  jobs = new JobStore(redis, keys, { resultTtlSeconds: 120 });
  queue = createQueue('webhook-delivery', redis, keys);
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await queue.close();
  await cleanupPrefix(redis, keys.prefix);
  await Promise.all([redis.quit(), relayConnection.quit()]);
});

async function finishedJob(id: string, notify: boolean) {
  await jobs.create({
    id,
    tenant: 'acme',
    model: 'sim-gpt-fast',
    priority: 5,
    createdAt: 1000,
    ...(notify
      ? {
          webhook: { url: 'https://hooks.example.com/', events: ['job.completed' as const] },
          notify,
        }
      : {}),
  });
  await jobs.start(id);
  expect(await jobs.complete(id, result)).toBe(true);
}

function newRelay(claimIdleMs: number, batches?: BatchStore) {
  const deliveries = new WebhookDeliveryStore(redis, keys);
  relay = new WebhookOutboxRelay({
    connection: relayConnection,
    keys,
    jobs,
    batches,
    endpoints: new WebhookEndpointStore(redis, keys),
    deliveries,
    queue,
    logger: createLogger({
      service: 'test',
      level: 'error',
      stream: new Writable({ write: (_c, _e, cb) => cb() }),
    }),
    consumer: 'alive',
    attempts: 3,
    claimIdleMs,
    blockMs: 100,
  });
  return { relay, deliveries };
}

describe('webhook outbox', () => {
  it('records the job end in the outbox in the same write as the result, only for notified jobs', async () => {
    await finishedJob('job_quiet', false);
    expect(await redis.xlen(keys.webhookOutbox())).toBe(0);
    await finishedJob('job_loud', true);
    const entries = await redis.xrange(keys.webhookOutbox(), '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['job_id', 'job_loud', 'status', 'completed'],
    ]);
    // A second end (a stalled duplicate) writes neither a result nor an event.
    expect(await jobs.fail('job_loud', { code: 'internal_error', message: 'late' })).toBe(false);
    expect(await redis.xlen(keys.webhookOutbox())).toBe(1);
  });

  it('records a cancelled or stopped job in the outbox only when it is notified', async () => {
    const newJob = (id: string, notify: boolean) =>
      jobs.create({
        id,
        tenant: 'acme',
        model: 'sim-gpt-fast',
        priority: 5,
        createdAt: 1000,
        notify,
      });
    await newJob('job_cancelled', true);
    expect(await jobs.cancel('job_cancelled', 'acme')).toEqual({ outcome: 'cancelled' });
    await newJob('job_stopped', true);
    await jobs.start('job_stopped');
    expect(await jobs.stop('job_stopped', Date.now(), 'acme')).toBe(true);
    await newJob('job_stopped_untenanted', true);
    expect(await jobs.stop('job_stopped_untenanted')).toBe(true);
    await newJob('job_quiet', false);
    expect(await jobs.cancel('job_quiet', 'acme')).toEqual({ outcome: 'cancelled' });
    const entries = await redis.xrange(keys.webhookOutbox(), '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['job_id', 'job_cancelled', 'status', 'cancelled'],
      ['job_id', 'job_stopped', 'status', 'cancelled'],
      ['job_id', 'job_stopped_untenanted', 'status', 'cancelled'],
    ]);
  });

  it('re-takes an entry a dead relay read but never acknowledged, and enqueues its delivery once', async () => {
    await finishedJob('job_orphan', true);
    // A relay reads the entry, then dies before acknowledging it.
    await redis.xgroup('CREATE', keys.webhookOutbox(), 'webhook-relay', '0', 'MKSTREAM');
    await redis.xreadgroup(
      'GROUP',
      'webhook-relay',
      'dead',
      'COUNT',
      10,
      'STREAMS',
      keys.webhookOutbox(),
      '>',
    );

    const { relay: live, deliveries } = newRelay(200);
    await live.start();
    await waitFor(async () => ((await redis.xlen(keys.webhookOutbox())) === 0 ? true : undefined), {
      what: 'the entry to be relayed and removed',
    });
    const [entry] = await deliveries.listForJob('acme', 'job_orphan');
    expect(entry?.delivery).toMatchObject({
      status: 'pending',
      url: 'https://hooks.example.com/',
      event: 'job.completed',
    });
    expect(JSON.parse(entry!.delivery.body)).toMatchObject({
      type: 'job.completed',
      data: { id: 'job_orphan', status: 'completed' },
    });
    const queued = await queue.getJob(entry!.delivery.id);
    expect(queued?.data).toEqual({ deliveryId: entry!.delivery.id, run: 0 });

    // Relaying the same event again (a relay that died after enqueueing) changes nothing.
    await live.relay('job_orphan', 'completed');
    expect(await deliveries.listForJob('acme', 'job_orphan')).toHaveLength(1);
    expect(await queue.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(1);
  });

  it('sends batch.completed to the endpoints subscribed to it when a batch completes, not to those subscribed to others', async () => {
    const batches = new BatchStore(redis, keys, { ttlSeconds: 120 });
    const endpoints = new WebhookEndpointStore(redis, keys);
    const subscribed = await endpoints.create('acme', {
      url: 'https://hooks.example.com/batches',
      events: ['batch.completed'],
    });
    await endpoints.create('acme', {
      url: 'https://hooks.example.com/jobs',
      events: ['job.completed'],
    });
    expect(await runBatch(batches, 'batch_done', false)).toBe('completed');
    expect(await runBatch(batches, 'batch_stopped', true)).toBe('cancelled');
    const entries = await redis.xrange(keys.webhookOutbox(), '-', '+');
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['batch_id', 'batch_done', 'status', 'completed'],
      ['batch_id', 'batch_stopped', 'status', 'cancelled'],
    ]);

    const { relay: live, deliveries } = newRelay(30_000, batches);
    await live.start();
    await waitFor(async () => ((await redis.xlen(keys.webhookOutbox())) === 0 ? true : undefined), {
      what: 'the batch entries to be relayed and removed',
    });
    const sent = await deliveries.listForJob('acme', 'batch_done');
    expect(sent.map(({ delivery }) => delivery.url)).toEqual(['https://hooks.example.com/batches']);
    expect(sent[0]?.delivery).toMatchObject({
      event: 'batch.completed',
      endpointId: subscribed.id,
    });
    expect(JSON.parse(sent[0]!.delivery.body)).toMatchObject({
      type: 'batch.completed',
      data: {
        id: 'batch_done',
        object: 'batch',
        status: 'completed',
        output_file_id: 'batch_done-out',
      },
    });
    // Nobody subscribed to batch.cancelled.
    expect(await deliveries.listForJob('acme', 'batch_stopped')).toEqual([]);
    // Relaying it again (a relay that died after enqueueing) changes nothing.
    await live.relayBatch('batch_done', 'completed');
    expect(await deliveries.listForJob('acme', 'batch_done')).toHaveLength(1);
    expect(await queue.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(1);
  });

  it("sends a batch's end to llmq and OpenAI endpoints, each in its own format", async () => {
    const batches = new BatchStore(redis, keys, { ttlSeconds: 120 });
    const endpoints = new WebhookEndpointStore(redis, keys);
    const own = await endpoints.create('acme', {
      url: 'https://hooks.example.com/own',
      events: ['batch.cancelled', 'batch.failed'],
    });
    const openai = await endpoints.create('acme', {
      url: 'https://hooks.example.com/openai',
      format: 'openai',
      events: ['batch.cancelled', 'batch.failed'],
    });
    expect(await runBatch(batches, 'batch_stopped', true)).toBe('cancelled');
    await createBatch(batches, 'batch_invalid');
    expect(await batches.failValidation('batch_invalid', [], 0)).toBe(true);
    const { relay: live, deliveries } = newRelay(30_000, batches);
    await live.start();
    await waitFor(async () => ((await redis.xlen(keys.webhookOutbox())) === 0 ? true : undefined), {
      what: 'the batch entries to be relayed and removed',
    });
    for (const [batchId, event] of [
      ['batch_stopped', 'batch.cancelled'],
      ['batch_invalid', 'batch.failed'],
    ] as const) {
      const sent = await deliveries.listForJob('acme', batchId);
      const byEndpoint = new Map(sent.map(({ delivery }) => [delivery.endpointId, delivery]));
      expect(byEndpoint.size).toBe(2);
      const ownBody = JSON.parse(byEndpoint.get(own.id)!.body);
      expect(ownBody).toMatchObject({ type: event, data: { id: batchId, object: 'batch' } });
      const openAiDelivery = byEndpoint.get(openai.id)!;
      const openAiBody = JSON.parse(openAiDelivery.body);
      expect(openAiBody).toEqual({
        id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
        object: 'event',
        created_at: expect.any(Number),
        type: event,
        data: { id: batchId },
      });
      expect(openAiDelivery.event).toBe(event);
      // Two bodies, two messages: a receiver deduplicating on webhook-id sees each once.
      expect(openAiDelivery.messageId).not.toBe(byEndpoint.get(own.id)!.messageId);
    }
  });

  it("sends an Anthropic Message Batch's end to llmq endpoints as the message_batch object, and nothing to OpenAI endpoints", async () => {
    const batches = new BatchStore(redis, keys, { ttlSeconds: 120 });
    const endpoints = new WebhookEndpointStore(redis, keys);
    const own = await endpoints.create('acme', {
      url: 'https://hooks.example.com/own',
      events: ['batch.completed', 'batch.cancelled'],
    });
    const openai = await endpoints.create('acme', {
      url: 'https://hooks.example.com/openai',
      format: 'openai',
      events: ['batch.completed', 'batch.cancelled'],
    });
    const messageBatch = 'msgbatch_0123456789abcdef0123456789abcdef';
    const stoppedMessageBatch = 'msgbatch_fedcba9876543210fedcba9876543210';
    expect(await runBatch(batches, messageBatch, false, '/v1/messages')).toBe('completed');
    expect(await runBatch(batches, stoppedMessageBatch, true, '/v1/messages')).toBe('cancelled');
    // An OpenAI batch ending beside them still reaches the OpenAI endpoint.
    expect(await runBatch(batches, 'batch_openai', false)).toBe('completed');
    const { relay: live, deliveries } = newRelay(30_000, batches);
    await live.start();
    await waitFor(async () => ((await redis.xlen(keys.webhookOutbox())) === 0 ? true : undefined), {
      what: 'the batch entries to be relayed and removed',
    });

    const sent = await deliveries.listForJob('acme', messageBatch);
    expect(sent.map(({ delivery }) => delivery.endpointId)).toEqual([own.id]);
    expect(JSON.parse(sent[0]!.delivery.body)).toEqual({
      type: 'batch.completed',
      timestamp: expect.any(String),
      data: {
        id: messageBatch,
        type: 'message_batch',
        processing_status: 'ended',
        request_counts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 0 },
        ended_at: expect.any(String),
        created_at: new Date(1000).toISOString(),
        expires_at: new Date(86_401_000).toISOString(),
        archived_at: null,
        cancel_initiated_at: null,
        results_url: `/v1/messages/batches/${messageBatch}/results`,
      },
    });
    const stopped = await deliveries.listForJob('acme', stoppedMessageBatch);
    expect(stopped.map(({ delivery }) => delivery.endpointId)).toEqual([own.id]);
    expect(JSON.parse(stopped[0]!.delivery.body)).toMatchObject({
      type: 'batch.cancelled',
      data: {
        id: stoppedMessageBatch,
        type: 'message_batch',
        request_counts: { succeeded: 0, canceled: 1 },
        cancel_initiated_at: expect.any(String),
      },
    });
    const openAiBatch = await deliveries.listForJob('acme', 'batch_openai');
    const openAiDelivery = openAiBatch.find(({ delivery }) => delivery.endpointId === openai.id);
    expect(openAiDelivery).toBeDefined();
    expect(JSON.parse(openAiDelivery!.delivery.body)).toMatchObject({
      object: 'event',
      type: 'batch.completed',
      data: { id: 'batch_openai' },
    });
  });

  it('sends response.* events of /v1/responses jobs to OpenAI endpoints only, and nothing for other jobs', async () => {
    const endpoints = new WebhookEndpointStore(redis, keys);
    const openai = await endpoints.create('acme', {
      url: 'https://hooks.example.com/openai',
      format: 'openai',
      events: ['response.completed', 'response.cancelled', 'response.incomplete'],
    });
    const own = await endpoints.create('acme', {
      url: 'https://hooks.example.com/own',
      events: ['job.completed'],
    });
    const responseJob = 'job_0123456789abcdef0123456789abcdef';
    const cancelledJob = 'job_fedcba9876543210fedcba9876543210';
    const plainJob = 'job_00000000000000000000000000000000';
    const newJob = (id: string, surface?: 'responses') =>
      jobs.create(
        {
          id,
          tenant: 'acme',
          model: 'sim-gpt-fast',
          priority: 5,
          createdAt: 1000,
          ...(surface ? { surface } : {}),
        },
        { notifyTenantEndpoints: true },
      );
    await newJob(responseJob, 'responses');
    expect((await jobs.get(responseJob))?.surface).toBe('responses');
    await jobs.start(responseJob);
    expect(await jobs.complete(responseJob, { ...result, finish_reason: 'length' })).toBe(true);
    await newJob(cancelledJob, 'responses');
    expect(await jobs.cancel(cancelledJob, 'acme')).toEqual({ outcome: 'cancelled' });
    await newJob(plainJob);
    expect((await jobs.get(plainJob))?.surface).toBeUndefined();
    await jobs.start(plainJob);
    expect(await jobs.complete(plainJob, result)).toBe(true);

    const { relay: live, deliveries } = newRelay(30_000);
    await live.start();
    await waitFor(async () => ((await redis.xlen(keys.webhookOutbox())) === 0 ? true : undefined), {
      what: 'the job entries to be relayed and removed',
    });
    const bodiesTo = async (jobId: string) =>
      Object.fromEntries(
        (await deliveries.listForJob('acme', jobId)).map(({ delivery }) => [
          delivery.endpointId,
          JSON.parse(delivery.body),
        ]),
      );
    const finished = await bodiesTo(responseJob);
    expect(finished[openai.id]).toMatchObject({
      object: 'event',
      type: 'response.incomplete',
      data: { id: 'resp_0123456789abcdef0123456789abcdef' },
    });
    expect(finished[own.id]).toMatchObject({ type: 'job.completed', data: { id: responseJob } });
    expect(await bodiesTo(cancelledJob)).toEqual({
      [openai.id]: expect.objectContaining({
        type: 'response.cancelled',
        data: { id: 'resp_fedcba9876543210fedcba9876543210' },
      }),
    });
    const plain = await bodiesTo(plainJob);
    expect(Object.keys(plain)).toEqual([own.id]);
  });
});

async function createBatch(
  batches: BatchStore,
  id: string,
  endpoint: BatchEndpoint = '/v1/chat/completions',
) {
  await batches.create({
    id,
    tenant: 'acme',
    endpoint,
    inputFileId: 'file-in',
    completionWindow: '24h',
    createdAt: 1000,
    expiresAt: 86_401_000,
    reservedOutputFileId: `${id}-out`,
    reservedErrorFileId: `${id}-err`,
  });
}

/** A one-line batch that completes, or is cancelled first. */
async function runBatch(
  batches: BatchStore,
  id: string,
  cancel: boolean,
  endpoint?: BatchEndpoint,
) {
  await createBatch(batches, id, endpoint);
  await batches.begin(id, 1);
  if (cancel) await batches.cancel(id, 'acme');
  await batches.recordLine(id, 0, cancel ? 'skipped' : 'completed', '{}');
  return batches.finish(id, { outputFileId: `${id}-out` });
}
