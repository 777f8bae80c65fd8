import request from 'supertest';
import { adminKey, createApiHarness, tenantAKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

beforeEach(async () => {
  harness = await createApiHarness();
});
afterEach(async () => {
  await harness.close();
});

const admin = { Authorization: `Bearer ${adminKey}` };

describe('tenant flow settings (/v1/admin/tenants/:tenant/flow)', () => {
  it('stores a weight and a running cap, audits changes, resets, and refuses what it cannot enforce', async () => {
    const initial = await request(harness.app)
      .get('/v1/admin/tenants/acme/flow')
      .set(admin)
      .expect(200);
    expect(initial.body).toMatchObject({
      source: 'default',
      effective: { weight: 1, max_running_jobs: null },
    });

    const put = await request(harness.app)
      .put('/v1/admin/tenants/acme/flow')
      .set(admin)
      .send({ weight: 3, max_running_jobs: 4 })
      .expect(200);
    expect(put.body).toMatchObject({
      source: 'tenant',
      effective: { weight: 3, max_running_jobs: 4 },
    });
    // What the workers and the submit path read.
    expect(await harness.flows.weightOf('acme')).toBe(3);
    expect(await harness.flows.runningCapOf('acme')).toBe(4);

    const unknown = await request(harness.app)
      .put('/v1/admin/tenants/acme/flow')
      .set(admin)
      .send({ weight: 2, priority_boost: 1 })
      .expect(400);
    expect(unknown.body.error.code).toBe('invalid_request');
    await request(harness.app)
      .put('/v1/admin/tenants/acme/flow')
      .set(admin)
      .send({ weight: 0 })
      .expect(400);
    await request(harness.app)
      .put('/v1/admin/tenants/acme/flow')
      .set({ Authorization: `Bearer ${tenantAKey}` })
      .send({ weight: 100 })
      .expect(403);
    expect(await harness.flows.weightOf('acme')).toBe(3);

    await request(harness.app).delete('/v1/admin/tenants/acme/flow').set(admin).expect(200);
    expect(await harness.flows.weightOf('acme')).toBe(1);
    const audit = await request(harness.app).get('/v1/admin/audit?limit=10').set(admin).expect(200);
    // Newest first; the tenant key's refused PUT is audited as denied between the two.
    expect(
      audit.body.data
        .map((entry: { action: string }) => entry.action)
        .filter((action: string) => action.startsWith('tenant-flow')),
    ).toEqual(['tenant-flow-reset', 'tenant-flow-update']);
  });

  it("carries a key's max_running_jobs to its jobs, for the worker to enforce", async () => {
    const created = await request(harness.app)
      .post('/v1/admin/keys')
      .set(admin)
      .send({ tenant: 'tenant-a', scopes: ['jobs:write'], limits: { max_running_jobs: 3 } })
      .expect(201);
    expect(created.body.limits).toEqual({ max_running_jobs: 3 });
    const submitted = await request(harness.app)
      .post('/v1/jobs')
      .set({ Authorization: `Bearer ${created.body.key}` })
      .send({ model: 'sim-gpt-fast', prompt: 'x' })
      .expect(202);
    const job = await harness.queue.getJob(submitted.body.id);
    expect(job?.data.apiKey).toEqual({ id: created.body.id, maxRunningJobs: 3 });
  });
});
