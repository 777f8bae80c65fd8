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

/** Submits a job as tenant A and fails it in the store as a worker would. */
async function failedJob(at: number): Promise<string> {
  const response = await request(harness.app)
    .post('/v1/jobs')
    .set(auth())
    .send({ model: 'sim-gpt-fast', prompt: 'x' })
    .expect(202);
  const jobId = response.body.id as string;
  await harness.store.start(jobId);
  await harness.store.fail(jobId, { code: 'provider_bad_request', message: 'bad' }, at);
  return jobId;
}

describe('dead letters', () => {
  it("lists a tenant's failed jobs newest first, page by page, and shows them to no one else", async () => {
    const now = Date.now();
    const ids = [
      await failedJob(now - 3000),
      await failedJob(now - 2000),
      await failedJob(now - 1000),
    ];
    const first = await request(harness.app)
      .get('/v1/dead-letters?limit=2')
      .set(auth())
      .expect(200);
    expect(first.body.data.map((job: { id: string }) => job.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.data[0]).toMatchObject({
      status: 'failed',
      error: { code: 'provider_bad_request' },
    });
    expect(first.body.has_more).toBe(true);
    const second = await request(harness.app)
      .get(`/v1/dead-letters?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`)
      .set(auth())
      .expect(200);
    expect(second.body).toMatchObject({ has_more: false });
    expect(second.body.data.map((job: { id: string }) => job.id)).toEqual([ids[0]]);

    const other = await request(harness.app)
      .get('/v1/dead-letters')
      .set(auth(tenantBKey))
      .expect(200);
    expect(other.body.data).toEqual([]);
    const stolen = await request(harness.app)
      .post(`/v1/jobs/${ids[0]}/retry`)
      .set(auth(tenantBKey))
      .expect(404);
    expect(stolen.body.error.code).toBe('job_not_found');
  });

  it('refuses to retry a job that has not failed, and validates the query', async () => {
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send({ model: 'sim-gpt-fast', prompt: 'x' })
      .expect(202);
    const retry = await request(harness.app)
      .post(`/v1/jobs/${response.body.id}/retry`)
      .set(auth())
      .expect(409);
    expect(retry.body.error).toMatchObject({
      code: 'job_not_retryable',
      details: { status: 'queued' },
    });
    const bad = await request(harness.app).get('/v1/dead-letters?limit=0').set(auth()).expect(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });
});

describe('routing refusals at submit', () => {
  it.each([
    [{ model: 'nope', prompt: 'x' }, 'unknown_model'],
    [{ model: 'claude-sonnet-4-5', prompt: 'x' }, 'model_unavailable'],
    [
      {
        model: 'sim-gpt-strong',
        prompt: 'x',
        max_tokens: 10000,
        requirements: { max_cost_usd: 0.0001 },
      },
      'cost_limit_exceeded',
    ],
    [{ model: 'sim-local-llama', prompt: 'x', max_tokens: 9000 }, 'context_window_exceeded'],
    [{ model: 'sim-gpt-fast', prompt: 'x', hedge: { model: 'gpt-5' } }, 'invalid_hedge'],
    [{ model: 'auto', prompt: 'x', requirements: { fast: true } }, 'invalid_request'],
  ])('answers 400 with a code for %j', async (body, code) => {
    const response = await request(harness.app).post('/v1/jobs').set(auth()).send(body).expect(400);
    expect(response.body.error.code).toBe(code);
    expect(await harness.queuedCount()).toBe(0);
  });
});
