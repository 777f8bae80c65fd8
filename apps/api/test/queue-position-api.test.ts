import { LaneThroughput } from '@llmq/core';
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

async function submit(key = tenantAKey, body: Record<string, unknown> = {}): Promise<string> {
  const response = await request(harness.app)
    .post('/v1/jobs')
    .set(auth(key))
    .send({ model: 'sim-gpt-fast', prompt: 'x', ...body })
    .expect(202);
  return response.body.id as string;
}

async function queueOf(jobId: string, key = tenantAKey) {
  const response = await request(harness.app).get(`/v1/jobs/${jobId}`).set(auth(key)).expect(200);
  return response.body.queue;
}

describe('queue position and wait estimate on GET /v1/jobs/:id', () => {
  it('shows a queued job’s place in its lane, and a wait estimate from the measured rate', async () => {
    const first = await submit();
    await submit(tenantBKey);
    const third = await submit();
    // Nothing started in the lane in the last minute: a position, no estimate.
    expect(await queueOf(first)).toEqual({
      state: 'waiting',
      position: 1,
      starts_per_second: 0,
      estimated_wait_ms: null,
    });
    // Third in the lane: shown as its bucket, places 2 to 10.
    expect((await queueOf(third)).position).toBe(10);

    // Workers started 120 jobs in the last full minute: 2 per second.
    const now = Date.now();
    const workers = new LaneThroughput(harness.redis, harness.keys, { now: () => now - 30_000 });
    for (let index = 0; index < 120; index += 1) workers.started(harness.queue.name);
    await workers.flush();
    workers.close();
    expect(await queueOf(third)).toEqual({
      state: 'waiting',
      position: 10,
      starts_per_second: 2,
      estimated_wait_ms: 5000,
    });
  });

  it("does not tell a tenant how many of another tenant's jobs are ahead", async () => {
    // Five urgent jobs of tenant B (five to one fair step), then one of tenant A in that step.
    for (let index = 0; index < 5; index += 1) await submit(tenantBKey, { priority: 1 });
    const jobId = await submit();
    const seen = await queueOf(jobId);
    // Sixth in the lane; A sees only "2 to 10", whatever B queued.
    expect(seen.position).toBe(10);
    await submit(tenantBKey, { priority: 1 });
    await submit(tenantBKey);
    expect(await queueOf(jobId)).toEqual(seen);
    // B's own first job is next: 1 is shown as it is.
    const [first] = (
      await request(harness.app).get('/v1/jobs?status=queued').set(auth(tenantBKey)).expect(200)
    ).body.data.slice(-1);
    expect((await queueOf(first.id, tenantBKey)).position).toBe(1);
  });

  it('shows no queue for a job that is not queued', async () => {
    const jobId = await submit();
    await request(harness.app).delete(`/v1/jobs/${jobId}`).set(auth()).expect(200);
    const response = await request(harness.app).get(`/v1/jobs/${jobId}`).set(auth()).expect(200);
    expect(response.body.status).toBe('cancelled');
    expect(response.body.queue).toBeUndefined();
  });
});
