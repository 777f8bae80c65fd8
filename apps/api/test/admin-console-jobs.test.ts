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

async function submit(key: string, body: Record<string, unknown>): Promise<string> {
  const response = await request(harness.app)
    .post('/v1/jobs')
    .set({ Authorization: `Bearer ${key}` })
    .send({ model: 'sim-gpt-fast', prompt: 'console secret prompt', ...body })
    .expect(202);
  return response.body.id as string;
}

describe('the job explorer in the admin console (/admin/jobs)', () => {
  it("lists one tenant's jobs by filter, escaped, without prompts, for admins only", async () => {
    const tagged = await submit(tenantAKey, { metadata: { note: '<script>alert(1)</script>' } });
    const plain = await submit(tenantAKey, {});
    const otherTenant = await submit(tenantBKey, {});

    const page = await request(harness.app)
      .get('/admin/jobs?tenant=tenant-a&metadata=note:<script>alert(1)</script>')
      .set({ Authorization: `Bearer ${adminKey}` })
      .expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain(tagged);
    expect(page.text).not.toContain(plain);
    expect(page.text).not.toContain(otherTenant);
    expect(page.text).toContain('&lt;script&gt;');
    expect(page.text).not.toContain('<script>');
    expect(page.text).not.toContain('console secret prompt');
    expect(page.text).toContain('href="/admin/queues"');

    const all = await request(harness.app)
      .get('/admin/jobs?tenant=tenant-a')
      .set({ Authorization: `Bearer ${adminKey}` })
      .expect(200);
    expect(all.text).toContain(plain);

    // A tenant key is not an admin key; no key at all is sent to sign in.
    await request(harness.app)
      .get('/admin/jobs?tenant=tenant-a')
      .set({ Authorization: `Bearer ${tenantAKey}` })
      .expect(403);
    await request(harness.app).get('/admin/jobs').set({ Accept: 'text/html' }).expect(303);
  });
});
