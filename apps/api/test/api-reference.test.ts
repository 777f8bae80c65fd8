import { readFileSync } from 'node:fs';
import request from 'supertest';
import { adminKey, createApiHarness, tenantAKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;

const redocBundle = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'));

/** The `<script>` elements of a page: those with a `src`, and the inline ones by their type. */
function scriptsOf(html: string) {
  const tags = [...html.matchAll(/<script\b([^>]*)>/g)].map((match) => match[1] ?? '');
  return {
    sources: tags.flatMap((attributes) => /\bsrc="([^"]+)"/.exec(attributes)?.[1] ?? []),
    inlineTypes: tags
      .filter((attributes) => !/\bsrc=/.test(attributes))
      .map((attributes) => /\btype="([^"]+)"/.exec(attributes)?.[1] ?? 'text/javascript'),
  };
}

function embeddedDocument(html: string): { paths: Record<string, unknown> } {
  const match = /<script type="application\/json" id="openapi-document">([\s\S]*?)<\/script>/.exec(
    html,
  );
  expect(match).not.toBeNull();
  return JSON.parse(match?.[1] ?? 'null');
}

describe('GET /docs in development (open)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createApiHarness({ apiReferenceOpen: true });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('answers a browser without a key with the reference of the same OpenAPI document', async () => {
    const page = await request(harness.app).get('/docs').set('Accept', 'text/html').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const { sources, inlineTypes } = scriptsOf(page.text);
    // Every script comes from this server; the only inline one is data, never run.
    expect(sources).toEqual(['/docs/assets/redoc.standalone.js', '/docs/assets/api-reference.js']);
    expect(inlineTypes).toEqual(['application/json']);
    const served = await request(harness.app)
      .get('/openapi.json')
      .set('Authorization', `Bearer ${tenantAKey}`)
      .expect(200);
    expect(embeddedDocument(page.text)).toEqual(served.body);
    expect(Object.keys(served.body.paths)).toContain('/v1/jobs/{id}');
  });

  it('sends a CSP that allows this origin’s scripts and nothing from elsewhere', async () => {
    const page = await request(harness.app).get('/docs').expect(200);
    const csp = String(page.headers['content-security-policy']);
    const directives = Object.fromEntries(
      csp.split(';').map((directive) => {
        const [name = '', ...values] = directive.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/https?:|unsafe-eval|\*/);
  });

  it("serves Redoc's bundle from node_modules and the start script, without a key", async () => {
    const bundle = await request(harness.app)
      .get('/docs/assets/redoc.standalone.js')
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    expect(redocBundle.length).toBeGreaterThan(100_000);
    expect(Buffer.compare(bundle.body as Buffer, redocBundle)).toBe(0);
    const start = await request(harness.app).get('/docs/assets/api-reference.js').expect(200);
    expect(start.headers['content-type']).toMatch(/javascript/);
    expect(start.text).toContain('Redoc.init(');
  });
});

describe('GET /docs in production (closed)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await createApiHarness({ apiReferenceOpen: false });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('refuses an API client without a key, or with a key lacking jobs:read', async () => {
    const anonymous = await request(harness.app)
      .get('/docs')
      .set('Accept', 'application/json')
      .expect(401);
    expect(anonymous.body.error.code).toBe('missing_api_key');
    expect(anonymous.text).not.toContain('openapi-document');
    const wrong = await request(harness.app)
      .get('/docs')
      .set('Authorization', 'Bearer not-a-real-key-at-all')
      .expect(401);
    expect(wrong.body.error.code).toBe('invalid_api_key');
    const { key } = await harness.security.keyStore.create({
      tenant: 'tenant-a',
      scopes: ['jobs:write'],
    });
    const lacking = await request(harness.app)
      .get('/docs')
      .set('Authorization', `Bearer ${key}`)
      .expect(403);
    expect(lacking.body.error.code).toBe('insufficient_scope');
  });

  it('opens for a key with jobs:read', async () => {
    const page = await request(harness.app)
      .get('/docs')
      .set('Authorization', `Bearer ${tenantAKey}`)
      .expect(200);
    expect(Object.keys(embeddedDocument(page.text).paths)).toContain('/v1/jobs');
  });

  it('sends a browser to the console sign-in, which returns it to /docs with a session', async () => {
    const page = await request(harness.app).get('/docs').set('Accept', 'text/html').expect(303);
    expect(page.headers.location).toBe('/admin/login?return_to=/docs');
    const form = await request(harness.app).get('/admin/login?return_to=/docs').expect(200);
    expect(form.text).toContain('name="return_to" value="/docs"');
    // Any other return path is ignored: no open redirect.
    const elsewhere = await request(harness.app)
      .get('/admin/login?return_to=https://evil.example')
      .expect(200);
    expect(elsewhere.text).not.toContain('return_to');

    const signedIn = await request(harness.app)
      .post('/admin/login')
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ api_key: adminKey, return_to: '/docs' })
      .expect(303);
    expect(signedIn.headers.location).toBe('/docs');
    const cookies = signedIn.headers['set-cookie'] as unknown as string[];
    expect(cookies.map((cookie) => /Path=([^;]+)/.exec(cookie)?.[1])).toEqual(['/admin', '/docs']);
    const docsCookie = cookies[1] ?? '';
    expect(docsCookie).toContain('HttpOnly');
    expect(docsCookie).toContain('SameSite=Strict');
    const session = docsCookie.split(';')[0] ?? '';
    expect(session).toMatch(/^llmq_admin=[A-Za-z0-9_-]{40,}$/);
    const opened = await request(harness.app)
      .get('/docs')
      .set('Accept', 'text/html')
      .set('Cookie', session)
      .expect(200);
    expect(Object.keys(embeddedDocument(opened.text).paths)).toContain('/v1/jobs');
    // A made-up session opens nothing.
    await request(harness.app)
      .get('/docs')
      .set('Accept', 'text/html')
      .set('Cookie', `llmq_admin=${'x'.repeat(43)}`)
      .expect(303);
  });
});
