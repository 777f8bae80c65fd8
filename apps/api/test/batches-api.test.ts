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
