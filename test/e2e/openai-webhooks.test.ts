import {
  AddressPolicy,
  checkWebhookUrl,
  createQueue,
  JobStore,
  JobSubmitter,
  jobRequestSchema,
  loadModelCatalog,
  RedisKeys,
  responseIdOfJob,
  SubmissionStore,
} from '@llmq/core';
import { waitFor } from '@llmq/testing';
import type { Queue } from 'bullmq';
import OpenAI, { toFile } from 'openai';
import { batchLines } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';
import { type ReceivedWebhook, type Receiver, startReceiver } from './webhook-receiver';

type System = Awaited<ReturnType<typeof startSystem>>;

let system: System;
let receiver: Receiver;
let client: OpenAI;
let secret: string;
let endpointId: string;
let submitter: JobSubmitter;
let promptQueue: Queue;

beforeAll(async () => {
  receiver = await startReceiver();
  const allowed = `127.0.0.1:${receiver.port}`;
  // Slow answers and few slots, so a batch is still running when the test stops it.
  system = await startSystem({
    env: { WEBHOOK_ALLOWED_HOSTS: allowed },
    simulatorModels: { 'sim-gpt-fast': { latencyMs: 40 } },
    workerEnv: { BULK_WORKER_CONCURRENCY: '4', LANE_LENDING: 'false' },
  });
  client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  // `/v1/responses` is not on this branch: its jobs are submitted through the core path the
  // route uses, `JobSubmitter.submit({ surface: 'responses' })`, on the system's Redis prefix.
  const keys = new RedisKeys(system.prefix);
  const store = new JobStore(system.redis, keys, { resultTtlSeconds: 3600 });
  promptQueue = createQueue('prompt', system.redis, keys);
  const policy = new AddressPolicy([allowed]);
  submitter = new JobSubmitter({
    queue: promptQueue,
    store,
    submissions: new SubmissionStore(system.redis, keys, {
      recordTtlSeconds: store.pendingTtlSeconds,
    }),
    catalog: loadModelCatalog(),
    defaultModel: 'sim-gpt-fast',
    attempts: 3,
    webhooks: { checkUrl: (url) => checkWebhookUrl(url, policy) },
  });

  const created = await system.request('POST', '/v1/webhook-endpoints', {
    url: receiver.url,
    format: 'openai',
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    format: 'openai',
    events: [
      'response.completed',
      'response.failed',
      'response.cancelled',
      'response.incomplete',
      'batch.completed',
      'batch.failed',
      'batch.expired',
      'batch.cancelled',
    ],
  });
  expect(created.body.secret).toMatch(/^whsec_/);
  secret = created.body.secret;
  endpointId = created.body.id;
});

afterAll(async () => {
  await promptQueue?.close();
  await system?.stop();
  await receiver?.close();
});

/** The message about `subjectId` (a batch or response id), once it arrived. */
async function messageAbout(subjectId: string): Promise<ReceivedWebhook> {
  return waitFor(
    () => receiver.received.find((message) => message.body.includes(`"id":"${subjectId}"`)),
    { timeoutMs: 30_000, what: `a webhook about ${subjectId}` },
  );
}

/** Verifies and parses a message with the official SDK, as an OpenAI customer's receiver does. */
async function unwrap(message: ReceivedWebhook) {
  return client.webhooks.unwrap(message.body, message.headers, secret);
}

async function createBatch(text: string, window = '24h') {
  const file = await client.files.create({
    file: await toFile(Buffer.from(text), 'input.jsonl'),
    purpose: 'batch',
  });
  return client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: window as '24h',
  });
}

async function submitResponse(body: Record<string, unknown>): Promise<string> {
  const outcome = await submitter.submit({
    tenant: 'e2e',
    request: jobRequestSchema.parse(body),
    surface: 'responses',
  });
  expect(outcome.created).toBe(true);
  return outcome.jobId;
}

test('refuses an event that is not of the endpoint format', async () => {
  const refused = await system.request('POST', '/v1/webhook-endpoints', {
    url: receiver.url,
    format: 'openai',
    events: ['job.completed'],
  });
  expect(refused.status).toBe(400);
  expect(refused.body.error.code).toBe('invalid_request');
  expect(refused.body.error.message).toMatch(/job\.completed/);
  const unknown = await system.request('POST', '/v1/webhook-endpoints', {
    url: receiver.url,
    format: 'svix',
  });
  expect(unknown.status).toBe(400);
});

test('a completed batch sends batch.completed that openai-node webhooks.unwrap verifies', async () => {
  const created = await createBatch(batchLines(2));
  const message = await messageAbout(created.id);
  const event = await unwrap(message);
  expect(event).toEqual({
    id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
    object: 'event',
    created_at: expect.any(Number),
    type: 'batch.completed',
    data: { id: created.id },
  });
  const batch = await client.batches.retrieve(created.id);
  expect(batch.status).toBe('completed');
  expect(event.created_at).toBe(batch.completed_at);
  // A tampered body and a stale timestamp fail the SDK's check.
  await expect(
    client.webhooks.unwrap(message.body.replace('completed', 'cancelled'), message.headers, secret),
  ).rejects.toBeInstanceOf(OpenAI.InvalidWebhookSignatureError);
  const stale = { ...message.headers, 'webhook-timestamp': String(event.created_at - 3600) };
  await expect(client.webhooks.unwrap(message.body, stale, secret)).rejects.toThrow(/too old/);
});

test('a cancelled batch sends batch.cancelled, an invalid one batch.failed, an expired one batch.expired', async () => {
  const running = await createBatch(batchLines(300));
  await waitFor(
    async () => {
      const batch = await client.batches.retrieve(running.id);
      return (batch.request_counts?.completed ?? 0) >= 5 ? batch : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 20, what: 'some lines to complete' },
  );
  expect((await client.batches.cancel(running.id)).status).toBe('cancelling');
  const invalid = await createBatch('{not json\n');
  const expiring = await createBatch(batchLines(300, { prefix: 'late' }), '2s');

  for (const [batch, type] of [
    [running, 'batch.cancelled'],
    [invalid, 'batch.failed'],
    [expiring, 'batch.expired'],
  ] as const) {
    const event = await unwrap(await messageAbout(batch.id));
    expect(event).toMatchObject({ object: 'event', type, data: { id: batch.id } });
  }
});

test('a /v1/responses job sends response.completed with its resp_ id; a failed one response.failed', async () => {
  // A job of another surface, ended first.
  const plainJob = await system.submit({ prompt: 'an ordinary job' });
  expect((await system.waitForJob(plainJob)).status).toBe('completed');
  const jobId = await submitResponse({ prompt: 'hello responses' });
  const responseId = responseIdOfJob(jobId);
  expect(responseId).toMatch(/^resp_[0-9a-f]{32}$/);
  const message = await messageAbout(responseId);
  expect(await unwrap(message)).toEqual({
    id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
    object: 'event',
    created_at: expect.any(Number),
    type: 'response.completed',
    data: { id: responseId },
  });
  // The delivery log shows it, with the webhook-id it was sent with.
  const log = await waitFor(
    async () => {
      const { body } = await system.request('GET', `/v1/jobs/${jobId}/deliveries`);
      return body.data?.[0]?.status === 'succeeded' ? body.data : undefined;
    },
    { what: 'the delivery to succeed' },
  );
  expect(log).toEqual([
    expect.objectContaining({
      event: 'response.completed',
      endpoint_id: endpointId,
      message_id: message.headers['webhook-id'],
    }),
  ]);
  // A replay sends the same event again, signed afresh: the same body and webhook-id.
  const before = receiver.received.length;
  const replay = await system.request('POST', `/v1/webhook-deliveries/${log[0].id}/retry`);
  expect(replay.status).toBe(202);
  const replayed = await waitFor(() => receiver.received[before], { what: 'the replay' });
  expect(replayed.body).toBe(message.body);
  expect(replayed.headers['webhook-id']).toBe(message.headers['webhook-id']);
  expect((await unwrap(replayed)).type).toBe('response.completed');

  system.simulator.configure({ models: { 'sim-gpt-strong': { faults: { status400: 1 } } } });
  try {
    const failedJob = await submitResponse({
      model: 'sim-gpt-strong',
      prompt: 'this one fails',
      fallbacks: false,
    });
    const failed = await unwrap(await messageAbout(responseIdOfJob(failedJob)));
    expect(failed).toMatchObject({
      type: 'response.failed',
      data: { id: responseIdOfJob(failedJob) },
    });
    expect((await system.request('GET', `/v1/jobs/${failedJob}`)).body.status).toBe('failed');
  } finally {
    system.simulator.configure({ models: { 'sim-gpt-strong': { faults: { status400: 0 } } } });
  }

  // The relay takes outbox entries in order: the ordinary job's was handled before the
  // responses job's webhooks went out, and it made no delivery (no OpenAI event).
  const { body } = await system.request('GET', `/v1/jobs/${plainJob}/deliveries`);
  expect(body.data).toEqual([]);
  expect(receiver.received.some((message) => message.body.includes(plainJob.slice(4)))).toBe(false);
});

test("an Anthropic Message Batch's end goes to llmq endpoints as the message_batch, never to OpenAI ones", async () => {
  const own = await system.request('POST', '/v1/webhook-endpoints', {
    url: receiver.url,
    events: ['batch.completed'],
  });
  expect(own.status).toBe(201);
  const isOpenAi = (message: ReceivedWebhook) => message.body.includes('"object":"event"');
  try {
    const created = await system.request('POST', '/v1/messages/batches', {
      requests: [
        {
          custom_id: 'q-1',
          params: {
            model: 'sim-claude-fast',
            max_tokens: 64,
            messages: [{ role: 'user', content: 'Hello' }],
          },
        },
      ],
    });
    expect(created.status).toBe(200);
    const batchId: string = created.body.id;
    expect(batchId).toMatch(/^msgbatch_/);
    const message = await messageAbout(batchId);
    // Signed with the llmq endpoint's own secret (verify throws otherwise).
    expect(receiver.verify(message, own.body.secret).type).toBe('batch.completed');
    const payload = JSON.parse(message.body);
    expect(payload.data).toMatchObject({
      id: batchId,
      type: 'message_batch',
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 0 },
      results_url: `/v1/messages/batches/${batchId}/results`,
    });
    // It is the batch the Messages API shows.
    const polled = await system.request('GET', `/v1/messages/batches/${batchId}`);
    expect(payload.data.ended_at).toBe(polled.body.ended_at);

    // The relay takes entries in order: once a later OpenAI batch's event reached the OpenAI
    // endpoint, the message batch's entry was handled, and it sent that endpoint nothing.
    const later = await createBatch(batchLines(1, { prefix: 'after-msgbatch' }));
    await waitFor(
      () =>
        receiver.received.find(
          (received) => isOpenAi(received) && received.body.includes(`"id":"${later.id}"`),
        ),
      { timeoutMs: 30_000, what: `the OpenAI event about ${later.id}` },
    );
    const aboutMessageBatch = receiver.received.filter((received) =>
      received.body.includes(batchId),
    );
    expect(aboutMessageBatch).toHaveLength(1);
    expect(aboutMessageBatch.some(isOpenAi)).toBe(false);
  } finally {
    await system.request('DELETE', `/v1/webhook-endpoints/${own.body.id}`);
  }
});
