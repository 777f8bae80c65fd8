import { testRedisUrl } from '@llmq/testing';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { adminKey, createApiHarness, tenantAKey, tenantBKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

beforeEach(async () => {
  harness = await createApiHarness();
});
afterEach(async () => {
  await harness.close();
});

const auth = (key = tenantAKey) => ({ Authorization: `Bearer ${key}` });

async function submit(body: Record<string, unknown>, key = tenantAKey): Promise<string> {
  const response = await request(harness.app)
    .post('/v1/jobs')
    .set(auth(key))
    .send({ model: 'sim-gpt-fast', prompt: 'secret prompt text', ...body })
    .expect(202);
  return response.body.id as string;
}

async function list(query: string, key = tenantAKey) {
  const response = await request(harness.app).get(`/v1/jobs?${query}`).set(auth(key));
  return response;
}

/** Every id of a listing, following its cursors. */
async function listAll(
  query: string,
  key = tenantAKey,
  from: string | null = null,
): Promise<string[]> {
  const ids: string[] = [];
  let cursor = from;
  do {
    const response = await list(`${query}${cursor ? `&cursor=${cursor}` : ''}`, key);
    expect(response.status).toBe(200);
    ids.push(...response.body.data.map((job: { id: string }) => job.id));
    cursor = response.body.next_cursor;
    expect(response.body.has_more).toBe(cursor !== null);
  } while (cursor);
  return ids;
}

/**
 * Runs the standard lane with a real BullMQ worker that fails every job as the pipeline does
 * (record failed, BullMQ job failed), until `count` jobs failed.
 */
async function failQueuedJobs(count: number): Promise<void> {
  const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  let failed = 0;
  const done = new Promise<void>((resolve) => {
    const worker = new Worker(
      harness.queue.name,
      async (job) => {
        await harness.store.start(job.data.jobId);
        await harness.store.fail(job.data.jobId, { code: 'provider_bad_request', message: 'x' });
        throw new UnrecoverableError('bad request');
      },
      { connection, prefix: harness.keys.prefix },
    );
    worker.on('failed', () => {
      failed += 1;
      if (failed >= count) void worker.close().then(resolve);
    });
  });
  await done;
  await connection.quit();
}

describe('GET /v1/jobs (job explorer)', () => {
  it('lists the tenant’s jobs newest first in stable cursor pages, never another tenant’s', async () => {
    const otherIds = [await submit({}, tenantBKey), await submit({}, tenantBKey)];
    const ids: string[] = [];
    for (let index = 0; index < 7; index += 1) ids.push(await submit({}));

    const first = await list('limit=3');
    expect(first.status).toBe(200);
    expect(first.body.data.map((job: { id: string }) => job.id)).toEqual(ids.slice(4).reverse());
    expect(first.body.data[0]).toMatchObject({ object: 'job', status: 'queued', lane: 'standard' });
    // No prompt unless asked.
    expect(JSON.stringify(first.body)).not.toContain('secret prompt text');

    // A job submitted while paging sorts first: the next pages neither repeat nor skip.
    const late = await submit({});
    const rest = await listAll('limit=3', tenantAKey, first.body.next_cursor);
    expect(rest).toEqual(ids.slice(0, 4).reverse());
    expect(await listAll('limit=4')).toEqual([late, ...ids.slice().reverse()]);

    // Tenant isolation: B lists only its own, also from a cursor of A's (a point in time).
    expect(await listAll('limit=5', tenantBKey)).toEqual(otherIds.slice().reverse());
    const crossed = await list(`limit=5&cursor=${first.body.next_cursor}`, tenantBKey);
    expect(crossed.body.data.map((job: { id: string }) => job.id)).toEqual(
      otherIds.slice().reverse(),
    );
  });

  it('filters by status, model, lane, created range and metadata', async () => {
    const tagged = await submit({ metadata: { team: 'search', env: 'prod' } });
    const strong = await submit({ model: 'sim-gpt-strong', metadata: { team: 'search' } });
    const before = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const plain = await submit({});
    await request(harness.app).delete(`/v1/jobs/${plain}`).set(auth()).expect(200);
    await submit({ metadata: { team: 'ads' } }, tenantBKey);

    expect(await listAll('metadata=team:search')).toEqual([strong, tagged]);
    expect(await listAll('metadata=team:search&metadata=env:prod')).toEqual([tagged]);
    expect(await listAll('model=sim-gpt-strong')).toEqual([strong]);
    expect(await listAll('status=cancelled')).toEqual([plain]);
    expect(await listAll('status=queued,cancelled')).toEqual([plain, strong, tagged]);
    expect(await listAll('lane=interactive')).toEqual([]);
    expect(await listAll('lane=standard&status=queued')).toEqual([strong, tagged]);
    const after = new Date(before).toISOString();
    expect(await listAll(`created_after=${after}`)).toEqual([plain]);
    expect(await listAll(`created_before=${after}`)).toEqual([strong, tagged]);
    // Tenant B's job with metadata matches nothing of A's.
    expect(await listAll('metadata=team:ads')).toEqual([]);

    const bad = await list('status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect((await list('cursor=abc')).status).toBe(400);
    expect((await list('colour=red')).status).toBe(400);
  });

  it('shows prompts only with include=request and the jobs:content scope', async () => {
    const jobId = await submit({});
    const shown = await list('include=request');
    expect(shown.status).toBe(200);
    expect(shown.body.data[0].request.messages[0]).toMatchObject({ role: 'user' });
    expect(JSON.stringify(shown.body.data[0].request)).toContain('secret prompt text');
    const single = await request(harness.app)
      .get(`/v1/jobs/${jobId}?include=request`)
      .set(auth())
      .expect(200);
    expect(JSON.stringify(single.body.request)).toContain('secret prompt text');

    // A key with jobs:read only sees the list, without prompts, and is refused them.
    const created = await request(harness.app)
      .post('/v1/admin/keys')
      .set(auth(adminKey))
      .send({ tenant: 'tenant-a', scopes: ['jobs:read'] })
      .expect(201);
    const reader = created.body.key as string;
    const plain = await list('limit=5', reader);
    expect(plain.status).toBe(200);
    expect(plain.body.data.map((job: { id: string }) => job.id)).toEqual([jobId]);
    const refused = await list('include=request', reader);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('insufficient_scope');
  });
});

describe('admin bulk actions by filter', () => {
  it('retries the failed jobs a filter matches, audited, and touches nothing else', async () => {
    const search = [
      await submit({ metadata: { team: 'search' } }),
      await submit({ metadata: { team: 'search' } }),
    ];
    const ads = await submit({ metadata: { team: 'ads' } });
    const otherTenant = await submit({ metadata: { team: 'search' } }, tenantBKey);
    await failQueuedJobs(4);
    expect(await listAll('status=failed')).toEqual([ads, ...search.slice().reverse()]);

    const response = await request(harness.app)
      .post('/v1/admin/tenants/tenant-a/jobs/retry')
      .set(auth(adminKey))
      .send({ filter: { status: 'failed', metadata: { team: 'search' } } })
      .expect(200);
    expect(response.body).toMatchObject({ action: 'retry', matched: 2, retried: 2, skipped: {} });
    expect(await listAll('status=queued')).toEqual(search.slice().reverse());
    expect(await listAll('status=failed')).toEqual([ads]);
    const other = await request(harness.app)
      .get(`/v1/jobs/${otherTenant}`)
      .set(auth(tenantBKey))
      .expect(200);
    expect(other.body.status).toBe('failed');

    const audit = await request(harness.app)
      .get('/v1/admin/audit?limit=5')
      .set(auth(adminKey))
      .expect(200);
    expect(audit.body.data[0]).toMatchObject({
      action: 'jobs-bulk-retry',
      tenant: 'tenant-a',
      details: { matched: 2, retried: 2 },
    });

    // A tenant key cannot use the admin routes.
    await request(harness.app)
      .post('/v1/admin/tenants/tenant-a/jobs/retry')
      .set(auth())
      .send({ filter: {} })
      .expect(403);
  });

  it('cancels the queued jobs a filter matches and lists them for an admin', async () => {
    const strong = await submit({ model: 'sim-gpt-strong' });
    const fast = await submit({});
    const response = await request(harness.app)
      .post('/v1/admin/tenants/tenant-a/jobs/cancel')
      .set(auth(adminKey))
      .send({ filter: { model: 'sim-gpt-strong' } })
      .expect(200);
    expect(response.body).toMatchObject({ matched: 1, cancelled: 1 });
    const listed = await request(harness.app)
      .get('/v1/admin/tenants/tenant-a/jobs?status=cancelled')
      .set(auth(adminKey))
      .expect(200);
    expect(listed.body.data.map((job: { id: string }) => job.id)).toEqual([strong]);
    expect((await harness.store.get(fast))?.status).toBe('queued');
    // A second run matches the cancelled job again but skips it, saying why.
    const again = await request(harness.app)
      .post('/v1/admin/tenants/tenant-a/jobs/cancel')
      .set(auth(adminKey))
      .send({ filter: { model: 'sim-gpt-strong' } })
      .expect(200);
    expect(again.body).toMatchObject({
      matched: 1,
      cancelled: 0,
      skipped: { not_cancellable_cancelled: 1 },
    });
  });
});
