import { type ApiKeyScope, apiKeyScopeSchema } from '@llmq/core';
import request from 'supertest';
import { adminKey, createApiHarness, tenantAKey } from './api-harness';
import { listRouteTable, type RouteEntry } from './route-table';

/**
 * Routes that need no key, each for a reason. Adding to this list needs one too:
 * health probes are anonymous by design; the admin sign-in page takes the key in its form.
 */
const publicRoutes = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /admin/login',
  'POST /admin/login',
  'POST /admin/logout',
]);

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;
let routes: RouteEntry[];

/**
 * How to make a resource owned by tenant A for routes under a path prefix, so the matrix can
 * check that tenant B gets 404 for it. A router adding tenant resources (batches, files,
 * webhook deliveries, …) adds its prefix here; routes under no prefix get a job id.
 */
const ownedResources: Array<{ prefix: string; create: () => Promise<string> }> = [
  {
    prefix: '/v1/jobs',
    create: async () => {
      const submitted = await request(harness.app)
        .post('/v1/jobs')
        .set('Authorization', `Bearer ${tenantAKey}`)
        .send({ prompt: 'tenant A only' })
        .expect(202);
      return submitted.body.id;
    },
  },
];
const resourceIds = new Map<string, string>();
const scopedKeys = new Map<string, string>();

beforeAll(async () => {
  harness = await createApiHarness();
  routes = listRouteTable(harness.app);
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
  const owner = ownedResources.find((resource) => path.startsWith(resource.prefix));
  const id = resourceIds.get(owner?.prefix ?? '/v1/jobs') ?? 'probe';
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
        'POST /v1/jobs',
        'GET /v1/jobs/:id',
        'DELETE /v1/jobs/:id',
        'POST /v1/admin/keys',
        'GET /v1/admin/audit',
        'ANY /admin/queues',
      ]),
    );
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
          // With the scope the guard lets it through (whatever the handler then says).
          const allowed = await send(
            method,
            path,
            scope.startsWith('admin') ? adminKey : await keyWith(scope, 'tenant-a'),
          );
          expect([label, allowed.status < 500, [401, 403].includes(allowed.status)]).toEqual([
            label,
            true,
            false,
          ]);
          // Admin keys are install-wide; tenant routes with an id must hide other tenants' data.
          if (!scope.startsWith('admin') && /:[A-Za-z_]+/.test(route.path)) {
            const other = await send(method, path, await keyWith(scope, 'tenant-b'));
            expect([label, other.status]).toEqual([label, 404]);
          }
          checked.push(label);
        }
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(10);
  });
});
