import request from 'supertest';
import { adminKey, createApiHarness, tenantAKey, tenantBKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('gateway rate limits (two API instances, one Redis)', () => {
  let first: Harness;
  let second: Harness;

  beforeEach(async () => {
    first = await createApiHarness({ requestsPerMinute: 3 });
    // A second API instance on the same Redis prefix: the limit is shared, not per process.
    second = await createApiHarness({ requestsPerMinute: 3, keys: first.keys });
  });
  afterEach(async () => {
    await Promise.all([first.close(), second.close()]);
  });

  it('answers the N+1th request in a window with 429 and the RateLimit headers, whichever instance takes it', async () => {
    const apps = [first.app, second.app, first.app];
    for (const [index, app] of apps.entries()) {
      const response = await request(app).get('/v1/dead-letters').set(bearer(tenantAKey));
      expect(response.status).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe('3');
      expect(response.headers['ratelimit-remaining']).toBe(String(2 - index));
      expect(response.headers['ratelimit-policy']).toBe('3;w=60');
      const reset = Number(response.headers['ratelimit-reset']);
      expect(reset).toBeGreaterThanOrEqual(1);
      // A sliding window of one-second buckets forgets a request up to one bucket late.
      expect(reset).toBeLessThanOrEqual(61);
    }

    const refused = await request(second.app).get('/v1/dead-letters').set(bearer(tenantAKey));
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'rate_limited',
      details: { limit: 3, window_seconds: 60 },
    });
    expect(refused.headers['ratelimit-limit']).toBe('3');
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(refused.headers['ratelimit-policy']).toBe('3;w=60');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(61);
    expect(refused.headers['ratelimit-reset']).toBe(String(retryAfter));
    expect(refused.body.error.details.retry_after_seconds).toBe(retryAfter);

    // A refused submit queues nothing.
    const submit = await request(first.app)
      .post('/v1/jobs')
      .set(bearer(tenantAKey))
      .send({ model: 'sim-gpt-fast', prompt: 'x' });
    expect(submit.status).toBe(429);
    expect(await first.queuedCount()).toBe(0);

    // Another key has its own window.
    const other = await request(second.app).get('/v1/dead-letters').set(bearer(tenantBKey));
    expect(other.status).toBe(200);
    expect(other.headers['ratelimit-remaining']).toBe('2');
  });

  it('speaks the OpenAI error dialect on the compatible endpoint', async () => {
    for (let index = 0; index < 3; index += 1)
      await request(first.app).get('/v1/dead-letters').set(bearer(tenantAKey)).expect(200);
    const response = await request(second.app)
      .post('/v1/chat/completions')
      .set(bearer(tenantAKey))
      .send({ model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(response.status).toBe(429);
    expect(response.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    expect(response.headers['retry-after']).toBeDefined();
  });

  it("enforces an issued key's own requests_per_minute over the default", async () => {
    const created = await request(first.app)
      .post('/v1/admin/keys')
      .set(bearer(adminKey))
      .send({ tenant: 'acme', scopes: ['jobs:read'], limits: { requests_per_minute: 1 } })
      .expect(201);
    const key = created.body.key as string;
    const allowed = await request(first.app).get('/v1/dead-letters').set(bearer(key));
    expect(allowed.status).toBe(200);
    expect(allowed.headers['ratelimit-limit']).toBe('1');
    expect(allowed.headers['ratelimit-remaining']).toBe('0');
    const refused = await request(second.app).get('/v1/dead-letters').set(bearer(key));
    expect(refused.status).toBe(429);
    expect(refused.headers['ratelimit-policy']).toBe('1;w=60');
  });
});

describe('gateway rate limits, none configured', () => {
  it('adds no headers and counts nothing when neither the key nor the default sets a limit', async () => {
    const harness = await createApiHarness({ requestsPerMinute: 0 });
    try {
      for (let index = 0; index < 5; index += 1) {
        const response = await request(harness.app)
          .get('/v1/dead-letters')
          .set(bearer(tenantAKey))
          .expect(200);
        expect(response.headers['ratelimit-limit']).toBeUndefined();
      }
      expect(await harness.redis.exists(harness.keys.gatewayRateLimit('static:tenant-a'))).toBe(0);
    } finally {
      await harness.close();
    }
  });
});
