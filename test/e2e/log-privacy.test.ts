import { startSystem } from './system-harness';

/**
 * Runs the real API and worker processes at debug level with prompts carrying a secret and an
 * email, issued and static keys, and a wrong key; then reads every line both processes printed.
 */
const adminKey = 'e2e-admin-key-000000000000000001';
const secret = 'sk-proj-Zx9Qw8Er7Ty6Ui5Op4As3Df2';
const email = 'jane.doe.private@example.org';

let system: Awaited<ReturnType<typeof startSystem>>;

beforeAll(async () => {
  system = await startSystem({ env: { LOG_LEVEL: 'debug', ADMIN_API_KEY: adminKey } });
});
afterAll(async () => {
  await system?.stop();
});

it('prints neither prompt secrets, emails nor any API key to the logs', async () => {
  const asAdmin = { Authorization: `Bearer ${adminKey}` };
  // Let the secret through both filters so it reaches the provider and comes back.
  const policy = await system.request(
    'PUT',
    '/v1/admin/tenants/e2e/filter-policy',
    { input: { detectors: { secret: 'flag' } }, output: { detectors: { secret: 'flag' } } },
    asAdmin,
  );
  expect(policy.status).toBe(200);
  const created = await system.request(
    'POST',
    '/v1/admin/keys',
    { tenant: 'e2e', scopes: ['jobs:write', 'jobs:read'] },
    asAdmin,
  );
  expect(created.status).toBe(201);
  const issuedKey: string = created.body.key;

  const viaIssued = await system.request(
    'POST',
    '/v1/jobs',
    { prompt: `echo: my key is ${secret} and my mail is ${email}` },
    { Authorization: `Bearer ${issuedKey}` },
  );
  expect(viaIssued.status).toBe(202);
  const viaStatic = await system.submit({
    messages: [{ role: 'user', content: `echo: write to ${email} using ${secret}` }],
  });
  const wrong = await system.request(
    'GET',
    '/v1/jobs/job_00000000000000000000000000000000',
    undefined,
    {
      Authorization: `Bearer wrong-${issuedKey}`,
    },
  );
  expect(wrong.status).toBe(401);

  const first = await system.waitForJob(viaIssued.body.id);
  const second = await system.waitForJob(viaStatic);
  // The answers did carry them (so the logs had the chance to leak them)…
  expect(first.status).toBe('completed');
  expect(first.result.text).toContain(secret);
  expect(second.result.text).toContain(email);
  expect(first.result.filter_findings).toEqual(
    expect.arrayContaining([expect.objectContaining({ detector: 'secret', action: 'flag' })]),
  );

  const logs = system.api.output() + system.workers.map((worker) => worker.output()).join('');
  // …and the processes did log this run, at debug level.
  expect(logs).toContain('"event":"job-end"');
  expect(logs).toContain('"event":"http-request"');
  for (const forbidden of [secret, email, issuedKey, adminKey, 'e2e-key-0000001', 'wrong-']) {
    expect(logs.includes(forbidden) ? forbidden : null).toBeNull();
  }
});
