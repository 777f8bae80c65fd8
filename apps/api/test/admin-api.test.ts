import { hashApiKey } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import request from 'supertest';
import { bootstrapAdminKeyId } from '../src/http/api-security';
import { adminKey, createApiHarness, tenantAKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

beforeEach(async () => {
  harness = await createApiHarness();
});
afterEach(async () => {
  await harness.close();
});

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const asAdmin = bearer(adminKey);

async function createKey(body: Record<string, unknown>) {
  const response = await request(harness.app).post('/v1/admin/keys').set(asAdmin).send(body);
  expect(response.status).toBe(201);
  return response.body as { id: string; key: string; tenant: string; scopes: string[] };
}

describe('admin API: keys', () => {
  it('creates a key shown once, stored only as a hash, usable at once with its scopes', async () => {
    const created = await createKey({
      tenant: 'acme',
      scopes: ['jobs:write', 'jobs:read'],
      name: 'ci',
      limits: { requests_per_minute: 600, max_concurrent_jobs: 25 },
    });
    expect(created).toMatchObject({
      object: 'api_key',
      tenant: 'acme',
      scopes: ['jobs:write', 'jobs:read'],
      limits: { requests_per_minute: 600, max_concurrent_jobs: 25 },
      status: 'active',
      last_used_at: null,
    });
    expect(created.key).toMatch(/^llmq_[0-9a-f]{12}_/);

    // Redis holds the hash, never the key.
    const stored = await harness.redis.hgetall(harness.keys.apiKey(hashApiKey(created.key)));
    expect(stored.tenant).toBe('acme');
    const everything = await harness.redis.keys(`${harness.keys.prefix}:*`);
    const dumps = await Promise.all(everything.map((key) => harness.redis.dump(key)));
    for (const dump of dumps) expect(String(dump)).not.toContain(created.key);

    // Shown once: listing and showing never include it.
    const shown = await request(harness.app)
      .get(`/v1/admin/keys/${created.id}`)
      .set(asAdmin)
      .expect(200);
    expect(shown.body.key).toBeUndefined();
    const listed = await request(harness.app)
      .get('/v1/admin/keys?tenant=acme')
      .set(asAdmin)
      .expect(200);
    expect(listed.body.data.map((key: { id: string }) => key.id)).toEqual([created.id]);
    expect(JSON.stringify(listed.body)).not.toContain(created.key);

    const submitted = await request(harness.app)
      .post('/v1/jobs')
      .set(bearer(created.key))
      .send({ prompt: 'hello' })
      .expect(202);
    await request(harness.app)
      .get(`/v1/jobs/${submitted.body.id}`)
      .set(bearer(created.key))
      .expect(200);
    // No admin scope.
    const denied = await request(harness.app)
      .get('/v1/admin/keys')
      .set(bearer(created.key))
      .expect(403);
    expect(denied.body.error.code).toBe('insufficient_scope');
    // Last use recorded.
    const after = await request(harness.app)
      .get(`/v1/admin/keys/${created.id}`)
      .set(asAdmin)
      .expect(200);
    expect(after.body.last_used_at).not.toBeNull();
  });

  it('bootstraps the configured admin key, listed without its secret', async () => {
    const response = await request(harness.app)
      .get(`/v1/admin/keys/${bootstrapAdminKeyId}`)
      .set(asAdmin)
      .expect(200);
    expect(response.body).toMatchObject({ tenant: 'admin', scopes: ['admin'], status: 'active' });
  });

  it('refuses a key with a scope it does not know, and static tenant keys on admin routes', async () => {
    const bad = await request(harness.app)
      .post('/v1/admin/keys')
      .set(asAdmin)
      .send({ tenant: 'acme', scopes: ['root'] })
      .expect(400);
    expect(bad.body.error.code).toBe('invalid_request');
    await request(harness.app)
      .post('/v1/admin/keys')
      .set(bearer(tenantAKey))
      .send({ tenant: 'acme', scopes: ['admin'] })
      .expect(403);
  });

  it('revokes a key: it stops working at once, also in another API instance that had it cached', async () => {
    const created = await createKey({ tenant: 'acme', scopes: ['jobs:read'] });
    const other = await createApiHarness({ keys: harness.keys });
    const probe = '/v1/jobs/job_00000000000000000000000000000000';
    try {
      // Both instances have the key cached as valid.
      await request(harness.app).get(probe).set(bearer(created.key)).expect(404);
      await request(other.app).get(probe).set(bearer(created.key)).expect(404);
      await request(harness.app).delete(`/v1/admin/keys/${created.id}`).set(asAdmin).expect(200);
      const refused = await request(harness.app).get(probe).set(bearer(created.key)).expect(401);
      expect(refused.body.error.code).toBe('invalid_api_key');
      // The other instance hears of it over pub/sub, well before its 5 s cache would lapse.
      await waitFor(
        async () =>
          (await request(other.app).get(probe).set(bearer(created.key))).status === 401
            ? true
            : undefined,
        { what: 'revocation to reach the other instance', timeoutMs: 2000 },
      );
      const shown = await request(harness.app)
        .get(`/v1/admin/keys/${created.id}`)
        .set(asAdmin)
        .expect(200);
      expect(shown.body.status).toBe('revoked');
    } finally {
      await other.close();
    }
  });

  it('rotates a key: a new secret now, the old one valid for the grace period only', async () => {
    const created = await createKey({
      tenant: 'acme',
      scopes: ['jobs:read'],
      limits: { tokens_per_minute: 1000 },
    });
    const rotated = await request(harness.app)
      .post(`/v1/admin/keys/${created.id}/rotate`)
      .set(asAdmin)
      .send({ grace_seconds: 1 })
      .expect(201);
    expect(rotated.body).toMatchObject({
      tenant: 'acme',
      scopes: ['jobs:read'],
      limits: { tokens_per_minute: 1000 },
    });
    expect(rotated.body.key).not.toBe(created.key);
    expect(rotated.body.previous).toMatchObject({ id: created.id, rotated_to: rotated.body.id });
    const probe = '/v1/jobs/job_00000000000000000000000000000000';
    await request(harness.app).get(probe).set(bearer(created.key)).expect(404);
    await request(harness.app).get(probe).set(bearer(rotated.body.key)).expect(404);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await request(harness.app).get(probe).set(bearer(created.key)).expect(401);
    await request(harness.app).get(probe).set(bearer(rotated.body.key)).expect(404);
  });

  it('updates scopes, and 404s an unknown key id', async () => {
    const created = await createKey({ tenant: 'acme', scopes: ['jobs:read'] });
    const updated = await request(harness.app)
      .patch(`/v1/admin/keys/${created.id}`)
      .set(asAdmin)
      .send({ scopes: ['jobs:read', 'usage'] })
      .expect(200);
    expect(updated.body.scopes).toEqual(['jobs:read', 'usage']);
    const missing = await request(harness.app)
      .delete('/v1/admin/keys/ffffffffffff')
      .set(asAdmin)
      .expect(404);
    expect(missing.body.error.code).toBe('api_key_not_found');
  });
});

describe('admin API: filter policy per tenant', () => {
  it('blocks, redacts or flags per the tenant policy, and records findings on the job', async () => {
    const card = 'my card is 4111 1111 1111 1111';
    // Default policy: cards are redacted.
    const redacted = await request(harness.app)
      .post('/v1/jobs')
      .set(bearer(tenantAKey))
      .send({ prompt: card })
      .expect(202);
    const job = await harness.queue.getJob(redacted.body.id);
    expect(job?.data.request.messages[0].content).toBe('my card is [CARD]');
    const view = await request(harness.app)
      .get(`/v1/jobs/${redacted.body.id}`)
      .set(bearer(tenantAKey))
      .expect(200);
    expect(view.body.input_findings).toEqual([
      { stage: 'input', detector: 'credit_card', action: 'redact', count: 1, location: 'prompt' },
    ]);

    const put = await request(harness.app)
      .put('/v1/admin/tenants/tenant-a/filter-policy')
      .set(asAdmin)
      .send({ input: { detectors: { credit_card: 'block' } } })
      .expect(200);
    expect(put.body.policy.input.detectors.credit_card).toBe('block');
    const before = await harness.queuedCount();
    const blocked = await request(harness.app)
      .post('/v1/jobs')
      .set(bearer(tenantAKey))
      .send({ prompt: card })
      .expect(400);
    expect(blocked.body.error).toMatchObject({
      code: 'input_rejected',
      details: { findings: [{ detector: 'credit_card', action: 'block' }] },
    });
    expect(blocked.body.error.message).toMatch(/credit-card/);
    expect(await harness.queuedCount()).toBe(before);

    // Another tenant keeps the defaults.
    const got = await request(harness.app)
      .get('/v1/admin/tenants/tenant-b/filter-policy')
      .set(asAdmin)
      .expect(200);
    expect(got.body).toMatchObject({
      source: 'default',
      policy: { input: { detectors: { credit_card: 'redact' } } },
    });
    await request(harness.app)
      .delete('/v1/admin/tenants/tenant-a/filter-policy')
      .set(asAdmin)
      .expect(200);
    await request(harness.app)
      .post('/v1/jobs')
      .set(bearer(tenantAKey))
      .send({ prompt: card })
      .expect(202);
  });

  it('rejects a secret by default in Chinese text too', async () => {
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(bearer(tenantAKey))
      .send({
        messages: [
          { role: 'user', content: '这是我的密钥 sk-ant-abcdefghijklmnopqrstuvwxyz 请保存' },
        ],
      })
      .expect(400);
    expect(response.body.error.code).toBe('input_rejected');
    expect(JSON.stringify(response.body)).not.toContain('sk-ant-');
  });
});

describe('admin API: cache policies', () => {
  it('sets, shows and resets a tenant cache policy, audited, admin keys only', async () => {
    const path = '/v1/admin/tenants/tenant-a/cache-policy';
    const initial = await request(harness.app).get(path).set(asAdmin).expect(200);
    expect(initial.body).toMatchObject({
      object: 'cache_policy',
      source: 'default',
      policy: {},
      effective: { ttl_seconds: 3600, shared_namespace: null, semantic_threshold: 0.95 },
    });
    const put = await request(harness.app)
      .put(path)
      .set(asAdmin)
      .send({ ttl_seconds: 120, shared_namespace: 'team-x', semantic_threshold: 0.97 })
      .expect(200);
    expect(put.body).toMatchObject({
      source: 'tenant',
      effective: { ttl_seconds: 120, shared_namespace: 'team-x', semantic_threshold: 0.97 },
    });
    // A tenant cannot put itself into a shared namespace.
    await request(harness.app)
      .put(path)
      .set(bearer(tenantAKey))
      .send({ shared_namespace: 'team-y' })
      .expect(403);
    const invalid = await request(harness.app)
      .put(path)
      .set(asAdmin)
      .send({ ttl_seconds: -1, colour: 'blue' })
      .expect(400);
    expect(invalid.body.error.code).toBe('invalid_request');
    const reset = await request(harness.app).delete(path).set(asAdmin).expect(200);
    expect(reset.body).toMatchObject({ source: 'default', effective: { ttl_seconds: 3600 } });
    const audit = await request(harness.app).get('/v1/admin/audit').set(asAdmin).expect(200);
    expect(audit.body.data.map((entry: { action: string }) => entry.action)).toEqual(
      expect.arrayContaining(['cache-policy-update', 'cache-policy-reset']),
    );
  });
});

describe('admin API: audit log', () => {
  it('lists admin actions and denied requests, newest first, without secrets', async () => {
    const created = await createKey({ tenant: 'acme', scopes: ['jobs:read'] });
    await request(harness.app)
      .get('/v1/jobs/job_00000000000000000000000000000000')
      .set(bearer('wrong-key-123456'))
      .expect(401);
    await request(harness.app)
      .post('/v1/jobs')
      .set(bearer(created.key))
      .send({ prompt: 'x' })
      .expect(403);
    await request(harness.app).delete(`/v1/admin/keys/${created.id}`).set(asAdmin).expect(200);
    // Denied requests are appended without holding up the answer: wait for all four entries
    // rather than for a fixed time a busy machine may not give them.
    const audit = await waitFor(
      async () => {
        const answer = await request(harness.app)
          .get('/v1/admin/audit?limit=10')
          .set(asAdmin)
          .expect(200);
        return answer.body.data.length >= 4 ? answer : undefined;
      },
      { what: 'the four audit entries' },
    );
    const actions = audit.body.data.map(
      (entry: { action: string; outcome: string }) => `${entry.action}:${entry.outcome}`,
    );
    expect(actions).toEqual([
      'key-revoke:success',
      'request-denied:insufficient_scope',
      'request-denied:invalid_api_key',
      'key-create:success',
    ]);
    expect(audit.body.data[0]).toMatchObject({
      actor: bootstrapAdminKeyId,
      tenant: 'acme',
      target: created.id,
    });
    expect(audit.body.data[2].details.key_fingerprint).toMatch(/^[0-9a-f]{12}$/);
    const text = JSON.stringify(audit.body);
    expect(text).not.toContain('wrong-key-123456');
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(adminKey);

    const page = await request(harness.app)
      .get(`/v1/admin/audit?limit=2&before=${audit.body.data[1].id}`)
      .set(asAdmin)
      .expect(200);
    expect(page.body.data.map((entry: { action: string }) => entry.action)).toEqual([
      'request-denied',
      'key-create',
    ]);
  });

  it('records webhook endpoint create, rotate and delete with the host only, never the secret', async () => {
    const created = await request(harness.app)
      .post('/v1/webhook-endpoints')
      .set(bearer(tenantAKey))
      .send({ url: 'https://hooks.example.com/path/with-token-abc123' })
      .expect(201);
    const endpointId: string = created.body.id;
    const rotated = await request(harness.app)
      .post(`/v1/webhook-endpoints/${endpointId}/rotate`)
      .set(bearer(tenantAKey))
      .expect(200);
    await request(harness.app)
      .delete(`/v1/webhook-endpoints/${endpointId}`)
      .set(bearer(tenantAKey))
      .expect(200);
    const audit = await request(harness.app)
      .get('/v1/admin/audit?limit=10')
      .set(asAdmin)
      .expect(200);
    expect(audit.body.data).toMatchObject([
      { action: 'webhook-endpoint-delete', tenant: 'tenant-a', target: endpointId },
      { action: 'webhook-endpoint-rotate', tenant: 'tenant-a', target: endpointId },
      {
        action: 'webhook-endpoint-create',
        actor: 'static:tenant-a',
        tenant: 'tenant-a',
        target: endpointId,
        outcome: 'success',
        details: { host: 'hooks.example.com' },
      },
    ]);
    const text = JSON.stringify(audit.body);
    expect(text).not.toContain('with-token-abc123');
    expect(text).not.toContain(created.body.secret);
    expect(text).not.toContain(rotated.body.secret);
  });
});
