import { queueNames } from '@llmq/core';
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

function signIn(key: string) {
  return request(harness.app)
    .post('/admin/login')
    .set('Sec-Fetch-Site', 'same-origin')
    .type('form')
    .send({ api_key: key });
}

function cookieOf(response: request.Response): string {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.[0] ?? '';
  return cookie.split(';')[0] ?? '';
}

describe('admin console (Bull Board) access', () => {
  it('sends a browser without a session to the sign-in page and an API client a JSON 401', async () => {
    const page = await request(harness.app)
      .get('/admin/queues')
      .set('Accept', 'text/html')
      .expect(303);
    expect(page.headers.location).toBe('/admin/login');
    const api = await request(harness.app).get('/admin/queues/api/queues').expect(401);
    expect(api.body.error.code).toBe('missing_api_key');
  });

  it('signs an admin in with an HttpOnly, SameSite=Strict cookie that opens the board', async () => {
    const signedIn = await signIn(adminKey).expect(303);
    expect(signedIn.headers.location).toBe('/admin/queues');
    const setCookie = String((signedIn.headers['set-cookie'] as unknown as string[])[0]);
    expect(setCookie).toMatch(/llmq_admin=[A-Za-z0-9_-]{40,}/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/admin');
    expect(setCookie).not.toContain(adminKey);
    const queues = await request(harness.app)
      .get('/admin/queues/api/queues')
      .set('Cookie', cookieOf(signedIn))
      .expect(200);
    // Every llmq queue, read from the one list of queue names.
    expect(queues.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(
      Object.values(queueNames).sort(),
    );
    // The session cookie is not an API key.
    await request(harness.app).get('/v1/admin/audit').set('Cookie', cookieOf(signedIn)).expect(401);
  });

  it('refuses a tenant key at sign-in and on the board', async () => {
    const refused = await signIn(tenantAKey).expect(401);
    expect(refused.headers['set-cookie']).toBeUndefined();
    const board = await request(harness.app)
      .get('/admin/queues/api/queues')
      .set('Authorization', `Bearer ${tenantAKey}`)
      .expect(403);
    expect(board.body.error.code).toBe('insufficient_scope');
  });

  it('refuses cross-site sign-ins and cross-site changes made with the session cookie', async () => {
    const crossSite = await request(harness.app)
      .post('/admin/login')
      .set('Sec-Fetch-Site', 'cross-site')
      .type('form')
      .send({ api_key: adminKey })
      .expect(403);
    expect(crossSite.body.error.code).toBe('cross_site_request');
    const cookie = cookieOf(await signIn(adminKey));
    const forged = await request(harness.app)
      .put('/admin/queues/api/queues/prompts-standard/pause')
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.example')
      .expect(403);
    expect(forged.body.error.code).toBe('cross_site_request');
    expect(await harness.queue.isPaused()).toBe(false);
    await request(harness.app)
      .put('/admin/queues/api/queues/prompts-standard/pause')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'same-origin')
      .expect(200);
    expect(await harness.queue.isPaused()).toBe(true);
  });

  it('gives an admin:read key a read-only board that refuses every change', async () => {
    const { key } = await harness.security.keyStore.create({
      tenant: 'ops',
      scopes: ['admin:read'],
    });
    const cookie = cookieOf(await signIn(key).expect(303));
    const queues = await request(harness.app)
      .get('/admin/queues/api/queues')
      .set('Cookie', cookie)
      .expect(200);
    expect(queues.body.queues[0]).toMatchObject({ name: 'prompts-standard', readOnlyMode: true });
    const refused = await request(harness.app)
      .put('/admin/queues/api/queues/pause')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'same-origin')
      .expect(403);
    expect(refused.body.error).toMatchObject({
      code: 'insufficient_scope',
      details: { required_scope: 'admin' },
    });
    expect(await harness.queue.isPaused()).toBe(false);
  });

  it('signs out: the session stops working', async () => {
    const cookie = cookieOf(await signIn(adminKey));
    await request(harness.app)
      .post('/admin/logout')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'same-origin')
      .expect(303);
    await request(harness.app).get('/admin/queues/api/queues').set('Cookie', cookie).expect(401);
  });
});

describe('hardening headers', () => {
  it('sends helmet security headers and no CORS headers unless configured', async () => {
    const response = await request(harness.app)
      .get('/healthz')
      .set('Origin', 'https://app.example')
      .expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends API answers the resource headers, not the page ones', async () => {
    const documentOnly = [
      'cross-origin-opener-policy',
      'origin-agent-cluster',
      'referrer-policy',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
    ];
    const page = await request(harness.app).get('/healthz').expect(200);
    for (const name of documentOnly) expect(page.headers[name]).toBeDefined();

    const submitted = await request(harness.app)
      .post('/v1/jobs')
      .set('Authorization', `Bearer ${tenantAKey}`)
      .send({ prompt: 'Say hi' })
      .expect(202);
    const refused = await request(harness.app).get('/v1/jobs').expect(401);
    for (const answer of [submitted, refused]) {
      expect(answer.headers['content-security-policy']).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(answer.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(answer.headers['strict-transport-security']).toContain('max-age=');
      for (const name of documentOnly) expect(answer.headers[name]).toBeUndefined();
    }
  });

  it('allows only configured CORS origins', async () => {
    const withCors = await createApiHarness({ corsOrigins: ['https://app.example'] });
    try {
      const allowed = await request(withCors.app)
        .options('/v1/jobs')
        .set('Origin', 'https://app.example')
        .set('Access-Control-Request-Method', 'POST')
        .expect(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
      const other = await request(withCors.app)
        .get('/healthz')
        .set('Origin', 'https://evil.example')
        .expect(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await withCors.close();
    }
  });
});
