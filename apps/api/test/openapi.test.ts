import request from 'supertest';
import { listRouteTable } from '../src/openapi/route-table';
import { createApiHarness, tenantAKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

beforeAll(async () => {
  harness = await createApiHarness();
});
afterAll(async () => {
  await harness.close();
});

const auth = { Authorization: `Bearer ${tenantAKey}` };

interface Operation {
  summary: string;
  'x-llmq-scope'?: string;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  parameters: Array<{ name: string; in: string }>;
}

describe('GET /openapi.json', () => {
  it('documents every keyed route of the running app, with the scope its guard asks for', async () => {
    const response = await request(harness.app).get('/openapi.json').set(auth).expect(200);
    const document = response.body as {
      openapi: string;
      paths: Record<string, Record<string, Operation>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const keyed = listRouteTable(harness.app).filter(
      (route) => route.authenticated && !route.guardedMount && !route.metricsToken,
    );
    expect(keyed.length).toBeGreaterThan(40);
    for (const route of keyed) {
      const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      expect([`${route.method} ${route.path}`, operation !== undefined]).toEqual([
        `${route.method} ${route.path}`,
        true,
      ]);
      expect({
        route: `${route.method} ${route.path}`,
        scope: operation?.['x-llmq-scope'],
      }).toEqual({ route: `${route.method} ${route.path}`, scope: route.scope });
      // A summary written for it, not the fallback made of its method and path.
      expect({ route: route.path, summary: operation?.summary }).not.toEqual({
        route: route.path,
        summary: `${route.method} ${route.path}`,
      });
    }
    // Health and metrics are not API routes: they have their own access rules.
    expect(document.paths['/healthz']).toBeUndefined();
    expect(document.paths['/metrics']).toBeUndefined();
  });

  it('renders the validated bodies and path parameters', async () => {
    const { body } = await request(harness.app).get('/openapi.json').set(auth).expect(200);
    const submit = body.paths['/v1/jobs'].post as Operation;
    const properties = submit.requestBody?.content['application/json']?.schema.properties ?? {};
    expect(Object.keys(properties)).toEqual(
      expect.arrayContaining(['messages', 'prompt', 'model', 'max_tokens', 'priority', 'webhook']),
    );
    const job = body.paths['/v1/jobs/{id}'].get as Operation;
    expect(job.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    const usage = body.paths['/v1/usage'].get as Operation;
    expect(usage.parameters.map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(['start', 'end', 'group_by']),
    );
    expect(body.components.responses.Error.content['application/json'].schema.required).toEqual([
      'error',
    ]);
    // Every route that creates work documents the Idempotency-Key header; reads do not.
    for (const [path, method] of [
      ['/v1/jobs', 'post'],
      ['/v1/chat/completions', 'post'],
      ['/v1/messages', 'post'],
      ['/v1/files', 'post'],
      ['/v1/batches', 'post'],
    ] as const) {
      const operation = body.paths[path][method] as Operation;
      expect({ path, headers: operation.parameters.filter((p) => p.in === 'header') }).toEqual({
        path,
        headers: [expect.objectContaining({ name: 'Idempotency-Key' })],
      });
    }
    expect(job.parameters.some((parameter) => parameter.in === 'header')).toBe(false);
  });

  it('needs a key, and documents the browser reference at /docs with its guard', async () => {
    const denied = await request(harness.app).get('/openapi.json').expect(401);
    expect(denied.body.error.code).toBe('missing_api_key');
    const { body } = await request(harness.app).get('/openapi.json').set(auth).expect(200);
    expect(body.paths['/docs'].get['x-llmq-scope']).toBe('jobs:read');
    // Grouped for a reader: every operation in a declared group, jobs first.
    const declared = (body.tags as Array<{ name: string }>).map((tag) => tag.name);
    expect(declared[0]).toBe('Jobs');
    expect(body.paths['/v1/jobs'].post.tags).toEqual(['Jobs']);
    expect(body.paths['/v1/chat/completions'].post.tags).toEqual([
      'OpenAI- and Anthropic-compatible',
    ]);
    for (const methods of Object.values(body.paths) as Array<Record<string, { tags: string[] }>>)
      for (const operation of Object.values(methods))
        expect(declared).toEqual(expect.arrayContaining(operation.tags));
    // Its scripts are public library code, not API operations.
    expect(Object.keys(body.paths).filter((path) => path.startsWith('/docs/'))).toEqual([]);
  });
});
