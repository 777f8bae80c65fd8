import { otherTenantApiKey, startSystem } from './system-harness';

/**
 * Bull Board on the real API process: an `admin:read` key (the read-only board) sees every
 * tenant's queued jobs, their ids, tenants and models, but never their prompt text, which only
 * a tenant key with `jobs:content` reads.
 */
const adminKey = 'e2e-admin-key-000000000000000001';
const promptText = 'the quarterly figures of zebra holdings';

let system: Awaited<ReturnType<typeof startSystem>>;

beforeAll(async () => {
  // No worker: the jobs stay queued (prioritized), where the board lists them.
  system = await startSystem({ workers: 0, apiEnv: { ADMIN_API_KEY: adminKey } });
});
afterAll(async () => {
  await system?.stop();
});

async function board(path: string, key: string) {
  const response = await fetch(`${system.apiUrl}/admin/queues/api${path}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  return { status: response.status, text: await response.text() };
}

it('shows an admin:read key the queued jobs of every tenant without their prompts', async () => {
  const created = await system.request(
    'POST',
    '/v1/admin/keys',
    { tenant: 'ops', scopes: ['admin:read'] },
    { Authorization: `Bearer ${adminKey}` },
  );
  expect(created.status).toBe(201);
  const readOnlyKey: string = created.body.key;
  const jobId = await system.submit({ prompt: `Summarise ${promptText}` });
  const other = await system.request(
    'POST',
    '/v1/jobs',
    { messages: [{ role: 'user', content: `Compare ${promptText}` }] },
    { Authorization: `Bearer ${otherTenantApiKey}` },
  );
  expect(other.status).toBe(202);

  const listing = await board(
    '/queues?activeQueue=prompts-standard&status=latest&page=1&jobsPerPage=50',
    readOnlyKey,
  );
  expect(listing.status).toBe(200);
  const queue = JSON.parse(listing.text).queues.find(
    (entry: { name: string }) => entry.name === 'prompts-standard',
  );
  const jobs = queue.jobs as Array<{ id: string; data: Record<string, unknown> }>;
  // Both tenants' jobs are listed, with what an operator needs to find them…
  expect(jobs.map((job) => job.id).sort()).toEqual([jobId, other.body.id].sort());
  expect(jobs.map((job) => job.data.tenant).sort()).toEqual(['e2e', 'other']);
  expect(jobs[0]?.data).toMatchObject({ model: expect.any(String), request: expect.any(String) });
  // …and no prompt, in the listing or in one job's page.
  expect(listing.text).not.toContain(promptText);
  const one = await board(`/queues/prompts-standard/${jobId}`, readOnlyKey);
  expect(one.status).toBe(200);
  expect(JSON.parse(one.text).job.data.jobId).toBe(jobId);
  expect(one.text).not.toContain(promptText);

  // The full board (an `admin` key, who edits job data there) still shows the data as it is.
  const full = await board(`/queues/prompts-standard/${jobId}`, adminKey);
  expect(full.status).toBe(200);
  expect(full.text).toContain(promptText);
});
