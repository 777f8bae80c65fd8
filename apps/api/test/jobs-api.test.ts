import request from 'supertest';
import { createApiHarness, tenantAKey, tenantBKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

beforeEach(async () => {
  harness = await createApiHarness();
});
afterEach(async () => {
  await harness.close();
});

const auth = (key = tenantAKey) => ({ Authorization: `Bearer ${key}` });
const validBody = {
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'Hello there' }],
  priority: 3,
};

describe('POST /v1/jobs', () => {
  it('answers 202 with a job id, stores a queued record and enqueues the job with its priority', async () => {
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send(validBody)
      .expect(202);
    expect(response.body).toMatchObject({
      object: 'job',
      status: 'queued',
      links: { self: `/v1/jobs/${response.body.id}` },
    });
    expect(response.headers.location).toBe(`/v1/jobs/${response.body.id}`);
    const job = await harness.queue.getJob(response.body.id);
    expect(job?.opts.priority).toBe(3);
    expect(job?.data).toMatchObject({
      tenant: 'tenant-a',
      model: 'sim-gpt-fast',
      request: { messages: validBody.messages },
    });
    const record = await harness.store.get(response.body.id);
    expect(record).toMatchObject({
      status: 'queued',
      tenant: 'tenant-a',
      model: 'sim-gpt-fast',
      priority: 3,
    });
  });

  it("carries a caller's traceparent into the job with tracing off, and none without one", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const traced = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('traceparent', traceparent)
      .send(validBody)
      .expect(202);
    const tracedJob = await harness.queue.getJob(traced.body.id);
    expect(tracedJob?.data).toMatchObject({ traceparent, requestId: expect.any(String) });
    const untraced = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send(validBody)
      .expect(202);
    const untracedJob = await harness.queue.getJob(untraced.body.id);
    expect(untracedJob?.data).toMatchObject({ tenant: 'tenant-a' });
    expect(untracedJob?.data.traceparent).toBeUndefined();
  });

  it('accepts a bare prompt and normalises it to one user message', async () => {
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send({ prompt: 'Say hi', temperature: 0, max_tokens: 20, stop: 'END' })
      .expect(202);
    const job = await harness.queue.getJob(response.body.id);
    expect(job?.data.request).toEqual({
      messages: [{ role: 'user', content: 'Say hi' }],
      temperature: 0,
      maxTokens: 20,
      stop: ['END'],
    });
  });

  it.each([
    ['wrong types', { messages: 'hello' }, 400, 'invalid_request'],
    ['missing messages and prompt', { model: 'sim-gpt-fast' }, 400, 'invalid_request'],
    [
      'both messages and prompt',
      { prompt: 'a', messages: [{ role: 'user', content: 'b' }] },
      400,
      'invalid_request',
    ],
    ['an unknown model', { ...validBody, model: 'gpt-17-ultra' }, 400, 'unknown_model'],
    ['priority above range', { ...validBody, priority: 11 }, 400, 'invalid_request'],
    ['priority below range', { ...validBody, priority: 0 }, 400, 'invalid_request'],
    ['a fractional priority', { ...validBody, priority: 2.5 }, 400, 'invalid_request'],
    ['an unknown field', { ...validBody, temprature: 1 }, 400, 'invalid_request'],
    ['a bad role', { messages: [{ role: 'robot', content: 'x' }] }, 400, 'invalid_request'],
    ['temperature out of range', { ...validBody, temperature: 3 }, 400, 'invalid_request'],
    ['a JSON array', [validBody], 400, 'invalid_request'],
  ])('refuses %s with a JSON 4xx and enqueues nothing', async (_label, body, status, code) => {
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send(body as object)
      .expect(status);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.body.error.code).toBe(code);
    expect(typeof response.body.error.message).toBe('string');
    expect(await harness.queuedCount()).toBe(0);
  });

  it('refuses malformed JSON with 400 invalid_json', async () => {
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Content-Type', 'application/json')
      .send('{"messages": [')
      .expect(400);
    expect(response.body.error.code).toBe('invalid_json');
    expect(await harness.queuedCount()).toBe(0);
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send({ prompt: 'x'.repeat(100_000) })
      .expect(413);
    expect(response.body.error.code).toBe('payload_too_large');
    expect(await harness.queuedCount()).toBe(0);
  });

  it('refuses a non-JSON content type with 415', async () => {
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Content-Type', 'text/plain')
      .send('hello')
      .expect(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
  });

  it('needs an API key, and refuses a wrong one', async () => {
    const missing = await request(harness.app).post('/v1/jobs').send(validBody).expect(401);
    expect(missing.body.error.code).toBe('missing_api_key');
    const wrong = await request(harness.app)
      .post('/v1/jobs')
      .set(auth('not-a-real-key'))
      .send(validBody)
      .expect(401);
    expect(wrong.body.error.code).toBe('invalid_api_key');
    expect(await harness.queuedCount()).toBe(0);
  });
});

describe('Idempotency-Key', () => {
  it('returns the same job for a repeated submit and 422 for the same key with another body', async () => {
    const first = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Idempotency-Key', 'abc-1')
      .send(validBody)
      .expect(202);
    const again = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Idempotency-Key', 'abc-1')
      .send(validBody)
      .expect(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const conflict = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Idempotency-Key', 'abc-1')
      .send({ ...validBody, priority: 9 })
      .expect(422);
    expect(conflict.body.error.code).toBe('idempotency_key_reused');
    expect(await harness.queuedCount()).toBe(1);
  });

  it('puts back the queue entry a crash lost when the client retries with the same key', async () => {
    const first = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Idempotency-Key', 'crash-1')
      .send(validBody)
      .expect(202);
    // A submit is accepted and queued in one script; what a Redis crash between the two steps of
    // the fallback submit (a BullMQ the one script cannot take) leaves: the record and the
    // job's submission, no queue entry.
    const job = await harness.queue.getJob(first.body.id);
    await harness.redis.set(
      harness.keys.submission(first.body.id),
      JSON.stringify({
        lane: 'standard',
        data: job?.data,
        attempts: 3,
        priority: job?.opts.priority,
      }),
    );
    expect(await harness.queue.remove(first.body.id)).toBe(1);
    expect(await harness.queuedCount()).toBe(0);
    const retry = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Idempotency-Key', 'crash-1')
      .send(validBody)
      .expect(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toMatchObject({ id: first.body.id, status: 'queued' });
    expect((await harness.queue.getJob(first.body.id))?.data.jobId).toBe(first.body.id);
    expect(await harness.queuedCount()).toBe(1);
  });

  it('keeps keys per tenant: the same key from another tenant makes another job', async () => {
    const a = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .set('Idempotency-Key', 'shared')
      .send(validBody)
      .expect(202);
    const b = await request(harness.app)
      .post('/v1/jobs')
      .set(auth(tenantBKey))
      .set('Idempotency-Key', 'shared')
      .send(validBody)
      .expect(202);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('creates one job when the same key is submitted concurrently', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        request(harness.app)
          .post('/v1/jobs')
          .set(auth())
          .set('Idempotency-Key', 'burst')
          .send(validBody),
      ),
    );
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    expect(await harness.queuedCount()).toBe(1);
  });
});

describe('GET and DELETE /v1/jobs/:id', () => {
  it('shows a queued job to its tenant and 404 to another tenant', async () => {
    const { body } = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send(validBody)
      .expect(202);
    const mine = await request(harness.app).get(`/v1/jobs/${body.id}`).set(auth()).expect(200);
    expect(mine.body).toMatchObject({
      id: body.id,
      status: 'queued',
      model: 'sim-gpt-fast',
      priority: 3,
      attempts: 0,
    });
    expect(mine.body).not.toHaveProperty('tenant');
    const theirs = await request(harness.app)
      .get(`/v1/jobs/${body.id}`)
      .set(auth(tenantBKey))
      .expect(404);
    expect(theirs.body.error.code).toBe('job_not_found');
  });

  it('404s an unknown or malformed id', async () => {
    await request(harness.app)
      .get('/v1/jobs/job_00000000000000000000000000000000')
      .set(auth())
      .expect(404);
    const response = await request(harness.app).get('/v1/jobs/../../etc').set(auth()).expect(404);
    expect(response.body.error).toBeDefined();
  });

  it('cancels a queued job: the record says cancelled and the queue entry is gone', async () => {
    const { body } = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send(validBody)
      .expect(202);
    const cancelled = await request(harness.app)
      .delete(`/v1/jobs/${body.id}`)
      .set(auth())
      .expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(await harness.queue.getJob(body.id)).toBeUndefined();
    const again = await request(harness.app).delete(`/v1/jobs/${body.id}`).set(auth()).expect(409);
    expect(again.body.error).toMatchObject({
      code: 'job_not_cancellable',
      details: { status: 'cancelled' },
    });
  });

  it('does not let another tenant cancel a job', async () => {
    const { body } = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send(validBody)
      .expect(202);
    await request(harness.app).delete(`/v1/jobs/${body.id}`).set(auth(tenantBKey)).expect(404);
    expect((await harness.store.get(body.id))?.status).toBe('queued');
  });

  it('refuses to cancel a job a worker has started', async () => {
    const { body } = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send(validBody)
      .expect(202);
    await harness.store.start(body.id);
    const response = await request(harness.app)
      .delete(`/v1/jobs/${body.id}`)
      .set(auth())
      .expect(409);
    expect(response.body.error.details.status).toBe('active');
  });
});

describe('routing errors and health', () => {
  it('answers unknown routes with a JSON 404 and wrong methods with a JSON 405', async () => {
    const unknown = await request(harness.app).get('/v1/nothing-here').set(auth()).expect(404);
    expect(unknown.body.error.code).toBe('not_found');
    const wrongMethod = await request(harness.app)
      .put('/v1/jobs')
      .set(auth())
      .send(validBody)
      .expect(405);
    expect(wrongMethod.body.error.code).toBe('method_not_allowed');
    expect(wrongMethod.headers.allow).toBe('GET, POST');
  });

  it('serves /healthz and /readyz without a key', async () => {
    await request(harness.app).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(harness.app).get('/readyz').expect(200);
    expect(ready.body.redis).toBe('ok');
  });

  it('never logs prompt text or the API key', async () => {
    await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send({ prompt: 'my secret plan is pineapple-42' })
      .expect(202);
    const output = harness.logLines.join('\n');
    expect(output).toContain('http-request');
    expect(output).not.toContain('pineapple-42');
    expect(output).not.toContain(tenantAKey);
  });
});
