import { type ChatMessage, ResponseStore, responseIdOfJob } from '@llmq/core';
import request from 'supertest';
import { createApiHarness, tenantAKey } from './api-harness';

/**
 * `POST /v1/responses` and its stored response: the job is never queued without it, whatever
 * fails after the job's accept, and a retried request with its `Idempotency-Key` answers with
 * the first request's response without writing one of its own. No worker runs here: background
 * responses stay queued.
 */
type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

/** A store whose separate save fails, as a Redis error or a crash right after the accept would. */
class FailingSaveStore extends ResponseStore {
  override async save(): Promise<void> {
    throw new Error('Connection is closed.');
  }
}

/**
 * A store whose read of a conversation is followed, once armed, by a delete of the response it
 * read: a `DELETE /v1/responses/{id}` (or its expiry) landing between a continuation's read and
 * the save in its job's accept.
 */
class DeleteAfterReadStore extends ResponseStore {
  armed = false;
  override async conversation(
    tenant: string,
    responseId: string,
  ): Promise<ChatMessage[] | undefined> {
    const conversation = await super.conversation(tenant, responseId);
    if (this.armed) {
      this.armed = false;
      await this.delete(tenant, responseId);
    }
    return conversation;
  }
}

afterEach(async () => {
  await harness.close();
});

const body = { model: 'sim-gpt-fast', input: 'echo: kept with its job', background: true };

function create(payload: object, idempotencyKey?: string) {
  const call = request(harness.app)
    .post('/v1/responses')
    .set('Authorization', `Bearer ${tenantAKey}`);
  return (idempotencyKey ? call.set('Idempotency-Key', idempotencyKey) : call).send(payload);
}

/** The ids of the jobs the standard lane holds (background responses run there). */
async function queuedJobIds(): Promise<string[]> {
  const jobs = await harness.queue.getJobs(['prioritized', 'waiting', 'delayed', 'active']);
  return jobs.map((job) => job.id ?? '');
}

/** How many stored responses tenant A has. */
async function storedResponseCount(): Promise<number> {
  return (await harness.redis.keys(harness.keys.storedResponse('tenant-a', '*'))).length;
}

describe('POST /v1/responses when a write after the accept fails', () => {
  let stores: ResponseStore;
  beforeEach(async () => {
    harness = await createApiHarness({
      responses: (redis, keys) => {
        stores = new FailingSaveStore(redis, keys, { ttlSeconds: 600 });
        return stores;
      },
    });
  });

  it('never queues the job of a response without its stored response, though a save after the accept would fail', async () => {
    const created = await create(body);
    const queued = await queuedJobIds();
    expect(queued).toHaveLength(1);
    for (const jobId of queued) {
      expect(await stores.get('tenant-a', responseIdOfJob(jobId))).toMatchObject({ jobId });
    }
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ id: responseIdOfJob(queued[0] ?? ''), status: 'queued' });
    // Visible, so it can be polled and cancelled.
    const read = await request(harness.app)
      .get(`/v1/responses/${created.body.id}`)
      .set('Authorization', `Bearer ${tenantAKey}`)
      .expect(200);
    expect(read.body).toMatchObject({ id: created.body.id, status: 'queued', background: true });
    await request(harness.app)
      .post(`/v1/responses/${created.body.id}/cancel`)
      .set('Authorization', `Bearer ${tenantAKey}`)
      .expect(200);
  });
});

describe('POST /v1/responses with an Idempotency-Key', () => {
  beforeEach(async () => {
    harness = await createApiHarness();
  });

  it('answers a replayed Idempotency-Key with the first response, writing none of its own', async () => {
    const first = await create(body, 'response-key-1').expect(200);
    const again = await create(body, 'response-key-1').expect(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers['x-llmq-job-id']).toBe(first.headers['x-llmq-job-id']);
    expect(await queuedJobIds()).toEqual([first.headers['x-llmq-job-id']]);
    expect(await storedResponseCount()).toBe(1);

    // Another body with the key is refused before anything is written.
    await create({ ...body, input: 'echo: another body' }, 'response-key-1').expect(422);
    expect(await storedResponseCount()).toBe(1);
    expect(await queuedJobIds()).toHaveLength(1);
  });

  it('refuses the key with a body that differs only in a setting the job does not carry', async () => {
    const first = await create(body, 'response-key-3').expect(200);
    // `include`, `metadata` and `user` change what is shown and recorded, not the conversation.
    for (const changed of [
      { ...body, user: 'someone-else' },
      { ...body, include: ['reasoning.encrypted_content'] },
      { ...body, metadata: { run: 'second' } },
    ]) {
      const refused = await create(changed, 'response-key-3');
      expect([refused.status, refused.body.error?.code]).toEqual([422, 'idempotency_key_reused']);
    }
    expect(await queuedJobIds()).toEqual([first.headers['x-llmq-job-id']]);
    expect(await storedResponseCount()).toBe(1);
    // The same body in another key order is the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await create(reordered, 'response-key-3').expect(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('keeps a deleted response deleted when its create is replayed', async () => {
    const first = await create(body, 'response-key-2').expect(200);
    await request(harness.app)
      .delete(`/v1/responses/${first.body.id}`)
      .set('Authorization', `Bearer ${tenantAKey}`)
      .expect(200);
    // The replay answers with the job it made (cancelled by the delete), and stores nothing.
    const again = await create(body, 'response-key-2').expect(200);
    expect(again.body).toMatchObject({ id: first.body.id, status: 'cancelled' });
    expect(await storedResponseCount()).toBe(0);
    await request(harness.app)
      .get(`/v1/responses/${first.body.id}`)
      .set('Authorization', `Bearer ${tenantAKey}`)
      .expect(404);
  });
});

describe('POST /v1/responses continuing a response deleted while it is accepted', () => {
  let stores: DeleteAfterReadStore;
  beforeEach(async () => {
    harness = await createApiHarness({
      responses: (redis, keys) => {
        stores = new DeleteAfterReadStore(redis, keys, { ttlSeconds: 600 });
        return stores;
      },
    });
  });

  it("refuses it as OpenAI's 404 for an unknown previous_response_id, queueing and storing nothing", async () => {
    const first = await create(body).expect(200);
    const jobId = first.headers['x-llmq-job-id'] as string;
    // No worker here: the first response is completed as its worker would complete it.
    await harness.store.complete(jobId, {
      text: 'done',
      message: { role: 'assistant', content: 'done' },
      finish_reason: 'stop',
      model: 'sim-gpt-fast',
      upstream_model: 'sim-gpt-fast',
      provider: 'simulator-openai',
      usage: { input_tokens: 3, output_tokens: 1, cached_input_tokens: 0, total_tokens: 4 },
      timings: { queue_wait_ms: 1, provider_ms: 2, total_ms: 3 },
    });
    const unknown = await create({ ...body, previous_response_id: `resp_${'0'.repeat(32)}` });
    expect(unknown.status).toBe(404);

    stores.armed = true;
    const continued = await create({ ...body, previous_response_id: first.body.id });
    expect(stores.armed).toBe(false); // the delete ran between the read and the save
    expect(continued.status).toBe(unknown.status);
    expect(continued.body).toEqual({
      error: {
        ...unknown.body.error,
        message: unknown.body.error.message.replace(`resp_${'0'.repeat(32)}`, first.body.id),
      },
    });
    expect(await queuedJobIds()).toEqual([jobId]); // the first one's, which no worker took
    expect(await storedResponseCount()).toBe(0);
  });
});
