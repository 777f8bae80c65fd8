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
    expect((await queueOf(third)).position).toBe(3);

    // Workers started 120 jobs in the last full minute: 2 per second.
    const now = Date.now();
    const workers = new LaneThroughput(harness.redis, harness.keys, { now: () => now - 30_000 });
    for (let index = 0; index < 120; index += 1) workers.started(harness.queue.name);
    await workers.flush();
    workers.close();
    expect(await queueOf(third)).toEqual({
      state: 'waiting',
      position: 3,
      starts_per_second: 2,
      estimated_wait_ms: 1500,
    });

    // A higher priority job of the same tenant moves ahead of its own queued work.
    const urgent = await submit(tenantAKey, { priority: 1 });
    expect((await queueOf(urgent)).position).toBeLessThan(3);
  });

  it('shows no queue for a job that is not queued', async () => {
    const jobId = await submit();
    await request(harness.app).delete(`/v1/jobs/${jobId}`).set(auth()).expect(200);
    const response = await request(harness.app).get(`/v1/jobs/${jobId}`).set(auth()).expect(200);
    expect(response.body.status).toBe('cancelled');
    expect(response.body.queue).toBeUndefined();
  });
});
