import request from 'supertest';
import { estimateBodyTokens } from '../src/http/key-limits';
import { adminKey, createApiHarness } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** Per-key limits with two API instances on one Redis: every limit is shared, not per process. */
describe('per-key limits (two API instances, one Redis)', () => {
  let first: Harness;
  let second: Harness;

  beforeEach(async () => {
    first = await createApiHarness({ requestsPerMinute: 0 });
    second = await createApiHarness({ requestsPerMinute: 0, keys: first.keys });
  });
  afterEach(async () => {
    await Promise.all([first.close(), second.close()]);
  });

  async function issueKey(limits: Record<string, number>): Promise<string> {
    const created = await request(first.app)
      .post('/v1/admin/keys')
      .set(bearer(adminKey))
      .send({ tenant: 'acme', scopes: ['jobs:write', 'jobs:read'], limits })
      .expect(201);
    return created.body.key as string;
  }

  it('refuses per-key budgets in the admin API, naming the field and the tenant budget', async () => {
    for (const field of ['daily_budget_usd', 'monthly_budget_usd']) {
      const response = await request(first.app)
        .post('/v1/admin/keys')
        .set(bearer(adminKey))
        .send({ tenant: 'acme', scopes: ['jobs:write'], limits: { [field]: 5 } });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.error)).toContain(field);
      expect(response.body.error.message).toContain('/budget');
    }
  });

  it('enforces tokens_per_minute across instances, with Retry-After, and names the limit', async () => {
    const body = { model: 'sim-gpt-fast', prompt: 'Summarise the quarterly report. '.repeat(20) };
    const tokens = estimateBodyTokens(body);
    expect(tokens).toBeGreaterThan(100);
    const key = await issueKey({ tokens_per_minute: tokens * 2 + Math.floor(tokens / 2) });

    await request(first.app).post('/v1/jobs').set(bearer(key)).send(body).expect(202);
    await request(second.app).post('/v1/jobs').set(bearer(key)).send(body).expect(202);
    const refused = await request(first.app).post('/v1/jobs').set(bearer(key)).send(body);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'rate_limited',
      details: { limit_name: 'tokens_per_minute', requested_tokens: tokens },
    });
    expect(refused.body.error.message).toContain('tokens_per_minute');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(61);
    expect(await first.queuedCount()).toBe(2);

    // A smaller request still fits in what is left of the minute.
    await request(second.app)
      .post('/v1/jobs')
      .set(bearer(key))
      .send({ model: 'sim-gpt-fast', prompt: 'hi' })
      .expect(202);

    // A request larger than the whole limit is told not to retry.
    const huge = await request(second.app)
      .post('/v1/jobs')
      .set(bearer(key))
      .send({ model: 'sim-gpt-fast', prompt: 'Summarise the quarterly report. '.repeat(200) });
    expect(huge.status).toBe(429);
    expect(huge.headers['x-should-retry']).toBe('false');
    expect(huge.headers['retry-after']).toBeUndefined();
  });

  it('counts max_tokens against tokens_per_minute, on the compatible routes too', async () => {
    const key = await issueKey({ tokens_per_minute: 1000 });
    const response = await request(first.app)
      .post('/v1/chat/completions')
      .set(bearer(key))
      .send({
        model: 'sim-gpt-fast',
        max_tokens: 1500,
        messages: [{ role: 'user', content: 'hi' }],
      });
    expect(response.status).toBe(429);
    expect(response.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    expect(response.body.error.message).toContain('tokens_per_minute');
  });

  it('enforces max_concurrent_jobs across instances and frees a place when a job ends', async () => {
    const key = await issueKey({ max_concurrent_jobs: 2 });
    const submit = (harness: Harness) =>
      request(harness.app)
        .post('/v1/jobs')
        .set(bearer(key))
        .send({ model: 'sim-gpt-fast', prompt: 'x' });

    // No worker runs here: both jobs stay queued and hold their places.
    const one = await submit(first).expect(202);
    await submit(second).expect(202);
    const refused = await submit(first);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'rate_limited',
      details: { limit_name: 'max_concurrent_jobs', limit: 2, active: 2 },
    });
    expect(refused.body.error.message).toContain('max_concurrent_jobs');
    expect(await first.queuedCount()).toBe(2);

    // A cancelled job frees its place. A refused request (400) takes none: the next one fits.
    await request(second.app).delete(`/v1/jobs/${one.body.id}`).set(bearer(key)).expect(200);
    await request(first.app)
      .post('/v1/jobs')
      .set(bearer(key))
      .send({ model: 'no-such-model', prompt: 'x' })
      .expect(400);
    await submit(second).expect(202);
    expect((await submit(first)).status).toBe(429);
  });
});

describe('estimateBodyTokens', () => {
  it('counts every string and the output cap, and walks huge or deep bodies without recursion', () => {
    expect(estimateBodyTokens({ prompt: 'hello world', max_tokens: 100 })).toBe(102);
    const wide = { stop: Array.from({ length: 300_000 }, () => 'a') };
    expect(estimateBodyTokens(wide)).toBe(300_000);
    let deep: unknown = 'end';
    for (let depth = 0; depth < 100_000; depth++) deep = [deep];
    expect(estimateBodyTokens(deep)).toBe(1);
  });
});
