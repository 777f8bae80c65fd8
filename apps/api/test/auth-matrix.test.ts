import { randomBytes } from 'node:crypto';
import {
  type ApiKeyScope,
  apiKeyScopeSchema,
  convertOpenAIResponsesRequest,
  openAIResponsesRequestSchema,
  ResponseStore,
  responseIdOfJob,
} from '@llmq/core';
import request from 'supertest';
import { listRouteTable, type RouteEntry } from '../src/openapi/route-table';
import { adminKey, createApiHarness, metricsToken, tenantAKey, tenantBKey } from './api-harness';

/**
 * Routes that need no key, each for a reason. Adding to this list needs one too:
 * health probes are anonymous by design; the admin sign-in page takes the key in its form;
 * the API reference's two scripts are library code that holds no data (the page itself, `GET
 * /docs`, is guarded: it is checked below like any `jobs:read` route, and in
 * api-reference.test.ts open in development).
 */
const publicRoutes = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /admin/login',
  'POST /admin/login',
  'POST /admin/logout',
  'GET /docs/assets/redoc.standalone.js',
  'GET /docs/assets/api-reference.js',
]);

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;
let routes: RouteEntry[];

/**
 * How to make a resource owned by tenant A for routes under a path prefix, so the matrix can
 * check that tenant B gets 404 for it (and tenant A does not). A router adding tenant
 * resources (batches, files, …) adds its prefix here; routes under no prefix get a job id.
 * Created in this order: the webhook delivery belongs to the job made before it.
 */
const ownedResources: Array<{ prefix: string; create: () => Promise<string> }> = [
  {
    // A failed job (a dead letter) of tenant A: `/v1/jobs/:id`, `…/retry`, `…/deliveries`.
    prefix: '/v1/jobs',
    create: async () => {
      const submitted = await request(harness.app)
        .post('/v1/jobs')
        .set('Authorization', `Bearer ${tenantAKey}`)
        .send({ prompt: 'tenant A only' })
        .expect(202);
      const jobId: string = submitted.body.id;
      await harness.store.fail(jobId, { code: 'provider_error', message: 'failed for the test' });
      return jobId;
    },
  },
  {
    // A stored Responses API response of tenant A (its job failed, so nothing runs it).
    prefix: '/v1/responses',
    create: async () => {
      const submitted = await request(harness.app)
        .post('/v1/jobs')
        .set('Authorization', `Bearer ${tenantAKey}`)
        .send({ prompt: 'tenant A response' })
        .expect(202);
      const jobId: string = submitted.body.id;
      await harness.store.fail(jobId, { code: 'provider_error', message: 'failed for the test' });
      const call = convertOpenAIResponsesRequest(
        openAIResponsesRequestSchema.parse({ model: 'm', input: 'tenant A response' }),
      );
      const id = responseIdOfJob(jobId);
      await new ResponseStore(harness.redis, harness.keys, { ttlSeconds: 600 }).save(
        'tenant-a',
        { id, jobId, createdAt: 1, settings: call.settings, inputItems: [] },
        { previousResponseId: undefined, messages: call.input },
      );
      return id;
    },
  },
  {
    prefix: '/v1/webhook-endpoints',
    create: async () => {
      const created = await request(harness.app)
        .post('/v1/webhook-endpoints')
        .set('Authorization', `Bearer ${tenantAKey}`)
        .send({ url: 'https://hooks.example.com/tenant-a' })
        .expect(201);
      return created.body.id;
    },
  },
  {
    // A delivery of tenant A's job, as the worker's outbox relay would have made it.
    prefix: '/v1/webhook-deliveries',
    create: async () => {
      const id = `dlv_${randomBytes(16).toString('hex')}`;
      await harness.webhookDeliveries.ensure({
        id,
        messageId: `msg_${randomBytes(16).toString('hex')}`,
        tenant: 'tenant-a',
        jobId: resourceIds.get('/v1/jobs') ?? 'missing',
        event: 'job.failed',
        url: 'https://hooks.example.com/tenant-a',
        createdAt: Date.now(),
        body: '{}',
      });
      return id;
    },
  },
  {
    // A batch input file of tenant A: `/v1/files/:id`, `…/content`.
    prefix: '/v1/files',
    create: async () => {
      const line = JSON.stringify({
        custom_id: 'a-1',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] },
      });
      const uploaded = await request(harness.app)
        .post('/v1/files')
        .set('Authorization', `Bearer ${tenantAKey}`)
        .field('purpose', 'batch')
        .attach('file', Buffer.from(`${line}\n`), 'tenant-a.jsonl')
        .expect(200);
      return uploaded.body.id;
    },
  },
  {
    // A batch of tenant A (no worker runs here, so it stays validating): `/v1/batches/:id`, `…/cancel`.
    prefix: '/v1/batches',
    create: async () => {
      const created = await request(harness.app)
        .post('/v1/batches')
        .set('Authorization', `Bearer ${tenantAKey}`)
        .send({
          input_file_id: resourceIds.get('/v1/files'),
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        })
        .expect(200);
      return created.body.id;
    },
  },
  {
    // A Message Batch of tenant A (still in progress: no worker runs here).
    prefix: '/v1/messages/batches',
    create: async () => {
      const created = await request(harness.app)
        .post('/v1/messages/batches')
        .set('Authorization', `Bearer ${tenantAKey}`)
        .send({
          requests: [
            {
              custom_id: 'a-1',
              params: {
                model: 'sim-claude-fast',
                max_tokens: 8,
                messages: [{ role: 'user', content: 'hi' }],
              },
            },
          ],
        })
        .expect(200);
      return created.body.id;
    },
  },
];
const resourceIds = new Map<string, string>();
/** Resources every tenant shares (catalog models): an id route that hides nothing per tenant. */
const sharedResources = new Map([['/v1/models', 'sim-gpt-fast']]);
const scopedKeys = new Map<string, string>();

beforeAll(async () => {
  harness = await createApiHarness();
  // Deletions last, so every other route still finds tenant A's resources.
  routes = listRouteTable(harness.app).sort(
    (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'),
  );
  for (const resource of ownedResources) resourceIds.set(resource.prefix, await resource.create());
});
afterAll(async () => {
  await harness.close();
});

/** A key of `tenant` holding every scope but `scope` (and not `admin` when `scope` is `admin:read`). */
async function keyWithout(scope: ApiKeyScope, tenant = 'tenant-a'): Promise<string> {
  const name = `${tenant}-without-${scope}`;
  const cached = scopedKeys.get(name);
  if (cached) return cached;
  const scopes = apiKeyScopeSchema.options.filter(
    (item) => item !== scope && !(scope === 'admin:read' && item === 'admin'),
  );
  const { key } = await harness.security.keyStore.create({ tenant, scopes });
  scopedKeys.set(name, key);
  return key;
}

async function keyWith(scope: ApiKeyScope, tenant: string): Promise<string> {
  const name = `${tenant}-with-${scope}`;
  const cached = scopedKeys.get(name);
  if (cached) return cached;
  const { key } = await harness.security.keyStore.create({ tenant, scopes: [scope] });
  scopedKeys.set(name, key);
  return key;
}

function concretePath(path: string): string {
  const shared = [...sharedResources].find(([prefix]) => path.startsWith(`${prefix}/`));
  const owner = ownedResources.find((resource) => path.startsWith(`${resource.prefix}/`));
  const id = shared?.[1] ?? resourceIds.get(owner?.prefix ?? '/v1/jobs') ?? 'probe';
  return path
    .replace(/:id\b/g, id)
    .replace(/:tenant\b/g, 'tenant-a')
    .replace(/:[A-Za-z_]+/g, 'probe');
}

function send(method: string, path: string, key?: string) {
  const agent = request(harness.app);
  const call =
    method === 'GET'
      ? agent.get(path)
      : method === 'POST'
        ? agent.post(path)
        : method === 'PUT'
          ? agent.put(path)
          : method === 'PATCH'
            ? agent.patch(path)
            : method === 'DELETE'
              ? agent.delete(path)
              : agent.head(path);
  if (key) call.set('Authorization', `Bearer ${key}`);
  call.set('Accept', 'application/json');
  return ['POST', 'PUT', 'PATCH'].includes(method) ? call.send({}) : call;
}

describe('the route table', () => {
  it('is read from the app and holds the routes we know of', () => {
    const names = routes.map((route) => `${route.method} ${route.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /docs',
        'POST /v1/jobs',
        'GET /v1/jobs/:id',
        'DELETE /v1/jobs/:id',
        'POST /v1/admin/keys',
        'GET /v1/admin/audit',
        'ANY /admin/queues',
        'GET /metrics',
        'GET /v1/dead-letters',
        'POST /v1/jobs/:id/retry',
        'GET /v1/jobs/:id/deliveries',
        'POST /v1/webhook-endpoints',
        'GET /v1/webhook-endpoints/:id/secret',
        'POST /v1/webhook-deliveries/:id/retry',
        'GET /v1/usage',
        'POST /v1/estimate',
        'GET /v1/admin/tenants/:tenant/budget',
        'PUT /v1/admin/tenants/:tenant/budget',
        'DELETE /v1/admin/tenants/:tenant/budget',
      ]),
    );
  });

  it('declares each method and path once, so the order the routers are mounted in decides nothing', () => {
    // app.ts mounts the hot routes (the submit, the sync endpoints) before the others.
    const names = routes.map((route) => `${route.method} ${route.path}`);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it('gives every route a key and a scope, except the listed public ones', () => {
    const unguarded = routes
      .filter((route) => !publicRoutes.has(`${route.method} ${route.path}`))
      .filter(
        (route) =>
          !route.guardedMount && !route.metricsToken && !(route.authenticated && route.scope),
      )
      .map((route) => `${route.method} ${route.path}`);
    expect(unguarded).toEqual([]);
    for (const route of routes.filter((item) => publicRoutes.has(`${item.method} ${item.path}`))) {
      expect(route.authenticated).toBe(false);
    }
  });
});

describe('the auth matrix over every guarded route', () => {
  it('answers 401 without a key and with a wrong key, 403 without the scope, 404 to another tenant', async () => {
    const checked: string[] = [];
    for (const route of routes) {
      const name = `${route.method} ${route.path}`;
      if (publicRoutes.has(name)) continue;
      if (route.metricsToken) {
        // Metrics take their own token, not an API key: none, or any API key, is refused.
        for (const key of [undefined, tenantAKey, adminKey]) {
          const refused = await send(route.method, route.path, key);
          expect([name, refused.status]).toEqual([name, 401]);
        }
        const scraped = await send(route.method, route.path, metricsToken);
        expect([name, scraped.status]).toEqual([name, 200]);
        checked.push(name);
        continue;
      }
      const methods = route.guardedMount ? ['GET'] : [route.method];
      const paths = route.guardedMount
        ? [route.path, `${route.path}/api/queues`]
        : [concretePath(route.path)];
      const scope = (route.scope ?? 'admin:read') as ApiKeyScope;
      for (const method of methods) {
        for (const path of paths) {
          const label = `${method} ${path}`;
          const anonymous = await send(method, path);
          expect([label, anonymous.status, anonymous.body?.error?.code]).toEqual([
            label,
            401,
            'missing_api_key',
          ]);
          const wrong = await send(method, path, 'not-a-real-key-at-all');
          expect([label, wrong.status]).toEqual([label, 401]);
          expect(wrong.body.error.code).toMatch(/_api_key$/);
          const lacking = await send(method, path, await keyWithout(scope));
          expect([label, lacking.status, lacking.body?.error?.code]).toEqual([
            label,
            403,
            'insufficient_scope',
          ]);
          // Admin keys are install-wide; tenant routes with an id must hide other tenants' data.
          // Tenant B asks first, while tenant A's resource is certainly still there.
          const crossTenant =
            !scope.startsWith('admin') &&
            /:[A-Za-z_]+/.test(route.path) &&
            ![...sharedResources.keys()].some((prefix) => route.path.startsWith(`${prefix}/`));
          if (crossTenant) {
            const other = await send(method, path, await keyWith(scope, 'tenant-b'));
            expect([label, other.status]).toEqual([label, 404]);
          }
          // With the scope the guard lets it through (whatever the handler then says), and the
          // owner finds its own resource, so the 404 above is about the tenant, not the id.
          const allowed = await send(
            method,
            path,
            scope.startsWith('admin') ? adminKey : await keyWith(scope, 'tenant-a'),
          );
          expect([
            label,
            allowed.status < 500,
            [401, 403].includes(allowed.status),
            crossTenant && allowed.status === 404,
          ]).toEqual([label, true, false, false]);
          checked.push(label);
        }
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(10);
  });
});

describe('tenant lists', () => {
  it("show a tenant its own dead letters and webhook endpoints, never another tenant's", async () => {
    const jobId = resourceIds.get('/v1/jobs');
    const list = async (path: string, key: string) => {
      const response = await request(harness.app)
        .get(path)
        .set('Authorization', `Bearer ${key}`)
        .expect(200);
      return (response.body.data as Array<{ id: string }>).map((item) => item.id);
    };
    expect(await list('/v1/dead-letters', tenantAKey)).toContain(jobId);
    expect(await list('/v1/dead-letters', tenantBKey)).not.toContain(jobId);
    const created = await request(harness.app)
      .post('/v1/webhook-endpoints')
      .set('Authorization', `Bearer ${tenantAKey}`)
      .send({ url: 'https://hooks.example.com/listed' })
      .expect(201);
    expect(await list('/v1/webhook-endpoints', tenantAKey)).toContain(created.body.id);
    expect(await list('/v1/webhook-endpoints', tenantBKey)).toEqual([]);
  });
});
