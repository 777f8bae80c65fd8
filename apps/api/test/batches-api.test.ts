import { canonicalJson, IdempotencyStore, sha256 } from '@llmq/core';
import request from 'supertest';
import { createApiHarness, tenantAKey, tenantBKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

beforeEach(async () => {
  harness = await createApiHarness({ batchLimits: { maxFileBytes: 2000, maxLines: 5 } });
});
afterEach(async () => {
  await harness.close();
});

const auth = (key = tenantAKey) => ({ Authorization: `Bearer ${key}` });
const jsonl = (count: number) =>
  Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      custom_id: `r${index}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { prompt: 'hi' },
    }),
  ).join('\n');

function upload(content: string, purpose = 'batch', key = tenantAKey) {
  return request(harness.app)
    .post('/v1/files')
    .set(auth(key))
    .field('purpose', purpose)
    .attach('file', Buffer.from(content), 'input.jsonl');
}

/** A `POST /v1/batches` body over a new two-line input file of tenant A. */
async function twoLineBatchBody() {
  const file = await upload(jsonl(2)).expect(200);
  return {
    input_file_id: file.body.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  };
}

describe('POST /v1/files', () => {
  it('stores a batch file and serves its metadata and content to its tenant only', async () => {
    const content = jsonl(3);
    const created = await upload(content).expect(200);
    expect(created.body).toMatchObject({
      object: 'file',
      purpose: 'batch',
      bytes: content.length,
      filename: 'input.jsonl',
      status: 'processed',
    });
    const id = created.body.id as string;
    await request(harness.app).get(`/v1/files/${id}`).set(auth()).expect(200);
    const body = await request(harness.app).get(`/v1/files/${id}/content`).set(auth()).expect(200);
    expect(body.text).toBe(content);
    const other = await request(harness.app)
      .get(`/v1/files/${id}`)
      .set(auth(tenantBKey))
      .expect(404);
    expect(other.body.error.code).toBe('file_not_found');
    await request(harness.app).get(`/v1/files/${id}/content`).set(auth(tenantBKey)).expect(404);
  });

  it('refuses files over the byte or line limit, a wrong purpose and non-multipart bodies', async () => {
    const tooBig = await upload('x'.repeat(3000)).expect(413);
    expect(tooBig.body.error.code).toBe('file_too_large');
    const tooLong = await upload(jsonl(6)).expect(400);
    expect(tooLong.body.error.code).toBe('too_many_lines');
    const purpose = await upload(jsonl(1), 'fine-tune').expect(400);
    expect(purpose.body.error.message).toMatch(/purpose/);
    const json = await request(harness.app)
      .post('/v1/files')
      .set(auth())
      .send({ a: 1 })
      .expect(415);
    expect(json.body.error.code).toBe('unsupported_media_type');
    expect(await harness.redis.keys(`${harness.keys.prefix}:file:*`)).toEqual([]);
  });
});

describe('/v1/batches', () => {
  it('creates a validating batch with OpenAI fields, queues its ingest, hides it from other tenants', async () => {
    const file = await upload(jsonl(2)).expect(200);
    const created = await request(harness.app)
      .post('/v1/batches')
      .set(auth())
      .send({
        input_file_id: file.body.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      })
      .expect(200);
    expect(created.body).toMatchObject({
      object: 'batch',
      status: 'validating',
      input_file_id: file.body.id,
      output_file_id: null,
      error_file_id: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
    });
    const id = created.body.id as string;
    await request(harness.app).get(`/v1/batches/${id}`).set(auth()).expect(200);
    await request(harness.app).get(`/v1/batches/${id}`).set(auth(tenantBKey)).expect(404);
    await request(harness.app).post(`/v1/batches/${id}/cancel`).set(auth(tenantBKey)).expect(404);
    const list = await request(harness.app).get('/v1/batches?limit=5').set(auth()).expect(200);
    expect(list.body).toMatchObject({ object: 'list', first_id: id, last_id: id, has_more: false });
    const otherList = await request(harness.app)
      .get('/v1/batches')
      .set(auth(tenantBKey))
      .expect(200);
    expect(otherList.body.data).toEqual([]);

    const cancelled = await request(harness.app)
      .post(`/v1/batches/${id}/cancel`)
      .set(auth())
      .expect(200);
    expect(cancelled.body.status).toBe('cancelling');
  });

  it('refuses an unknown endpoint, a bad window, a foreign file and unknown fields', async () => {
    const file = await upload(jsonl(1)).expect(200);
    const body = {
      input_file_id: file.body.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    };
    const cases: Array<[Record<string, unknown>, string, number]> = [
      [{ ...body, endpoint: '/v1/images' }, 'invalid_request', 400],
      [{ ...body, completion_window: 'soon' }, 'invalid_completion_window', 400],
      [{ ...body, extra: true }, 'invalid_request', 400],
    ];
    for (const [payload, code, status] of cases) {
      const response = await request(harness.app).post('/v1/batches').set(auth()).send(payload);
      expect([response.status, response.body.error.code]).toEqual([status, code]);
    }
    const foreign = await request(harness.app).post('/v1/batches').set(auth(tenantBKey)).send(body);
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'file_not_found']);
  });
});

describe('Idempotency-Key on POST /v1/files and POST /v1/batches', () => {
  /** Ids of the stored files (a file is its hash and its chunks). */
  const storedFiles = async () =>
    new Set(
      (await harness.redis.keys(`${harness.keys.prefix}:file:*`)).map(
        (key) => key.split(':file:')[1]?.split(':')[0],
      ),
    );

  it('keeps one file per key: a retry gets the first file, other content is refused', async () => {
    const content = jsonl(2);
    const first = await upload(content).set('Idempotency-Key', 'file-1').expect(200);
    const retry = await upload(content).set('Idempotency-Key', 'file-1').expect(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    // The retry's own copy was dropped: one stored file.
    expect(await storedFiles()).toEqual(new Set([first.body.id]));
    const other = await upload(jsonl(3)).set('Idempotency-Key', 'file-1').expect(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(await storedFiles()).toEqual(new Set([first.body.id]));
    // Keys are per tenant: another tenant's same key stores its own file.
    const theirs = await upload(content, 'batch', tenantBKey)
      .set('Idempotency-Key', 'file-1')
      .expect(200);
    expect(theirs.body.id).not.toBe(first.body.id);
  });

  it('creates one batch per key: a retry gets the first batch, another body is refused', async () => {
    const body = await twoLineBatchBody();
    const create = () =>
      request(harness.app).post('/v1/batches').set(auth()).set('Idempotency-Key', 'batch-1');
    const first = await create().send(body).expect(200);
    const retry = await create().send(body).expect(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const list = await request(harness.app).get('/v1/batches').set(auth()).expect(200);
    expect(list.body.data.map((batch: { id: string }) => batch.id)).toEqual([first.body.id]);
    const other = await create()
      .send({ ...body, metadata: { run: '2' } })
      .expect(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    // The same key on another route (a job submit) is a conflict too: one key space per tenant.
    const job = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Idempotency-Key', 'batch-1')
      .send({ prompt: 'hi' })
      .expect(422);
    expect(job.body.error.code).toBe('idempotency_key_reused');
  });

  it('answers 409 while the first request is creating the batch, and takes over a dead one', async () => {
    const body = await twoLineBatchBody();
    const idempotency = new IdempotencyStore(harness.redis, harness.keys);
    const hash = sha256(`batches\n${canonicalJson(body)}`);
    const batchId = 'batch_0123456789abcdef0123456789abcdef';
    // A first request that claimed the key and has not created its batch yet.
    await idempotency.claim('tenant-a', 'batch-2', hash, batchId, { pending: true });
    const busy = await request(harness.app)
      .post('/v1/batches')
      .set(auth())
      .set('Idempotency-Key', 'batch-2')
      .send(body)
      .expect(409);
    expect(busy.body.error.code).toBe('idempotency_request_in_progress');
    expect(busy.headers['retry-after']).toBe('1');
    // Its creator died: past the claim's lease, a retry creates the batch under the same id.
    await idempotency.claim('tenant-a', 'batch-3', hash, batchId, {
      pending: true,
      now: Date.now() - 120_000,
    });
    const taken = await request(harness.app)
      .post('/v1/batches')
      .set(auth())
      .set('Idempotency-Key', 'batch-3')
      .send(body)
      .expect(200);
    expect(taken.body.id).toBe(batchId);
    const again = await request(harness.app)
      .post('/v1/batches')
      .set(auth())
      .set('Idempotency-Key', 'batch-3')
      .send(body)
      .expect(200);
    expect(again.body.id).toBe(batchId);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('a create that fails after writing its batch keeps the key: the retry answers that batch, its ingest queued', async () => {
    const body = await twoLineBatchBody();
    const create = () =>
      request(harness.app).post('/v1/batches').set(auth()).set('Idempotency-Key', 'batch-4');
    // Redis fails between the batch's record and its ingest and expiry jobs.
    const adds = jest
      .spyOn(harness.controlQueue, 'addBulk')
      .mockRejectedValueOnce(new Error('Connection is closed.'));
    const failed = await create().send(body);
    expect([failed.status, failed.body.error.code]).toEqual([503, 'redis_unavailable']);
    expect(adds).toHaveBeenCalledTimes(1);
    const listed = await request(harness.app).get('/v1/batches').set(auth()).expect(200);
    expect(listed.body.data).toHaveLength(1);
    const id: string = listed.body.data[0].id;
    expect(listed.body.data[0].status).toBe('validating');
    expect(await harness.controlQueue.getJob(`ingest-${id}`)).toBeUndefined();

    const retry = await create().send(body).expect(200);
    expect(retry.body.id).toBe(id);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await harness.controlQueue.getJob(`ingest-${id}`)).toBeDefined();
    expect(await harness.controlQueue.getJob(`expire-${id}`)).toBeDefined();
    const after = await request(harness.app).get('/v1/batches').set(auth()).expect(200);
    expect(after.body.data.map((batch: { id: string }) => batch.id)).toEqual([id]);
  });

  it('a takeover of a creator that died after writing its batch queues that batch', async () => {
    const body = await twoLineBatchBody();
    const hash = sha256(`batches\n${canonicalJson(body)}`);
    const batchId = 'batch_fedcba9876543210fedcba9876543210';
    // The first request claimed the key, wrote its batch and died before queueing its jobs.
    const createdAt = Date.now() - 120_000;
    await new IdempotencyStore(harness.redis, harness.keys).claim(
      'tenant-a',
      'batch-5',
      hash,
      batchId,
      { pending: true, now: createdAt },
    );
    await harness.batchStore.create({
      id: batchId,
      tenant: 'tenant-a',
      endpoint: '/v1/chat/completions',
      inputFileId: body.input_file_id,
      completionWindow: '24h',
      createdAt,
      expiresAt: createdAt + 24 * 3_600_000,
      reservedOutputFileId: 'file-out',
      reservedErrorFileId: 'file-err',
    });
    const taken = await request(harness.app)
      .post('/v1/batches')
      .set(auth())
      .set('Idempotency-Key', 'batch-5')
      .send(body)
      .expect(200);
    expect(taken.body.id).toBe(batchId);
    expect(taken.headers['idempotent-replayed']).toBe('true');
    expect(await harness.controlQueue.getJob(`ingest-${batchId}`)).toBeDefined();
  });
});
