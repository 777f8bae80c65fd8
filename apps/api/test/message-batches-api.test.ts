import request from 'supertest';
import { createApiHarness, tenantAKey } from './api-harness';

// No worker runs here: a created batch stays in progress.

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

/** The body limit of this route: far above the harness's BODY_LIMIT (64 kB), below 256 MB. */
const maxBodyBytes = 200_000;

beforeAll(async () => {
  harness = await createApiHarness({ batchLimits: { maxFileBytes: maxBodyBytes, maxLines: 5 } });
});
afterAll(async () => {
  await harness.close();
});

const auth = { Authorization: `Bearer ${tenantAKey}` };

function batchRequest(customId: string, content = 'hi') {
  return {
    custom_id: customId,
    params: { model: 'sim-claude-fast', max_tokens: 8, messages: [{ role: 'user', content }] },
  };
}

function create(body: unknown) {
  return request(harness.app)
    .post('/v1/messages/batches')
    .set(auth)
    .send(body as object);
}

/** Anthropic's error shape with a request id, as every answer of these routes has. */
function expectAnthropicError(response: request.Response, status: number, type: string) {
  expect([response.status, response.body]).toEqual([
    status,
    expect.objectContaining({
      type: 'error',
      error: expect.objectContaining({ type, message: expect.any(String) }),
    }),
  ]);
  expect(response.headers['request-id']).toEqual(expect.any(String));
}

it('takes a body larger than BODY_LIMIT up to its own limit, and refuses a larger one with 413', async () => {
  const large = 'x'.repeat(100_000);
  const created = await create({ requests: [batchRequest('big', large)] });
  expect(created.status).toBe(200);
  expect(created.body).toMatchObject({ type: 'message_batch', processing_status: 'in_progress' });
  expect(created.headers['request-id']).toEqual(expect.any(String));

  const tooLarge = await create({ requests: [batchRequest('huge', 'x'.repeat(maxBodyBytes))] });
  expectAnthropicError(tooLarge, 413, 'request_too_large');
  // Other routes keep BODY_LIMIT.
  const job = await request(harness.app).post('/v1/jobs').set(auth).send({ prompt: large });
  expect(job.status).toBe(413);
});

it('refuses more requests than the batch limit, a body that is not JSON, and both cursors at once', async () => {
  const six = Array.from({ length: 6 }, (_, index) => batchRequest(`r${index}`));
  const tooMany = await create({ requests: six });
  expectAnthropicError(tooMany, 400, 'invalid_request_error');
  expect(tooMany.body.error.message).toMatch(/at most 5 requests/);

  const notJson = await request(harness.app)
    .post('/v1/messages/batches')
    .set(auth)
    .set('Content-Type', 'text/plain')
    .send('requests');
  expectAnthropicError(notJson, 415, 'invalid_request_error');

  const unknownField = await create({ requests: [batchRequest('a')], metadata: {} });
  expectAnthropicError(unknownField, 400, 'invalid_request_error');

  // A line the Messages schema reads but llmq's message model refuses (a tool name with a dot)
  // is refused at creation, naming the request and the field, not failed later by the worker.
  const badTool = batchRequest('tool');
  Object.assign(badTool.params, {
    tools: [{ name: 'get.weather', input_schema: { type: 'object' } }],
  });
  const refusedLine = await create({ requests: [batchRequest('ok'), badTool] });
  expectAnthropicError(refusedLine, 400, 'invalid_request_error');
  expect(refusedLine.body.error.message).toMatch(/requests\.1\..*tools\.0\.name/);

  const cursors = await request(harness.app)
    .get('/v1/messages/batches?after_id=a&before_id=b')
    .set(auth);
  expectAnthropicError(cursors, 400, 'invalid_request_error');
});

it('answers a running batch: results and delete are refused until it ends; unknown ids are 404', async () => {
  const created = await create({ requests: [batchRequest('one')] });
  expect(created.status).toBe(200);
  const id: string = created.body.id;
  expect(created.body.request_counts).toEqual({
    processing: 1,
    succeeded: 0,
    errored: 0,
    canceled: 0,
    expired: 0,
  });
  const results = await request(harness.app).get(`/v1/messages/batches/${id}/results`).set(auth);
  expectAnthropicError(results, 400, 'invalid_request_error');
  const deleted = await request(harness.app).delete(`/v1/messages/batches/${id}`).set(auth);
  expectAnthropicError(deleted, 400, 'invalid_request_error');

  for (const unknown of ['msgbatch_00000000000000000000000000000000', 'batch_x', 'nope']) {
    const missing = await request(harness.app).get(`/v1/messages/batches/${unknown}`).set(auth);
    expectAnthropicError(missing, 404, 'not_found_error');
  }
  // An OpenAI batch route does not serve a Message Batch either.
  const openai = await request(harness.app).get(`/v1/batches/${id}`).set(auth);
  expect(openai.status).toBe(404);

  const cancelled = await request(harness.app).post(`/v1/messages/batches/${id}/cancel`).set(auth);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ id, processing_status: 'canceling' });
  expect(cancelled.body.cancel_initiated_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
});

it('a create that fails after writing its batch keeps its Idempotency-Key: the retry answers that batch, its ingest queued', async () => {
  const body = { requests: [batchRequest('kept')] };
  const create = () =>
    request(harness.app)
      .post('/v1/messages/batches')
      .set(auth)
      .set('Idempotency-Key', 'message-batch-1')
      .send(body);
  const batchIds = async (): Promise<string[]> =>
    (await request(harness.app).get('/v1/messages/batches?limit=100').set(auth)).body.data.map(
      (batch: { id: string }) => batch.id,
    );
  const before = await batchIds();
  // Redis fails between the batch's record and its ingest and expiry jobs.
  const adds = jest
    .spyOn(harness.controlQueue, 'addBulk')
    .mockRejectedValueOnce(new Error('Connection is closed.'));
  try {
    expectAnthropicError(await create(), 503, 'api_error');
    expect(adds).toHaveBeenCalledTimes(1);
  } finally {
    adds.mockRestore();
  }
  const written = (await batchIds()).filter((id) => !before.includes(id));
  expect(written).toHaveLength(1);
  const id = written[0] ?? '';
  expect(await harness.controlQueue.getJob(`ingest-${id}`)).toBeUndefined();

  const retry = await create();
  expect([retry.status, retry.body.id]).toEqual([200, id]);
  expect(retry.headers['idempotent-replayed']).toBe('true');
  expect(await harness.controlQueue.getJob(`ingest-${id}`)).toBeDefined();
  expect(await batchIds()).toEqual([id, ...before]);
});
