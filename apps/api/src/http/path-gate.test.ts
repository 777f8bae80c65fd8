import express, { Router } from 'express';
import request from 'supertest';
import { atOrBelow, outsideApi, pathGate } from './path-gate';

describe('pathGate', () => {
  it('enters the router for the URLs it reaches, passes others on without entering it', async () => {
    const entered: string[] = [];
    const router = Router();
    router.use((request, _response, next) => {
      entered.push(request.url);
      next();
    });
    router.get('/healthz', (_request, response) => {
      response.json({ from: 'router' });
    });
    const app = express();
    app.use(pathGate(outsideApi, router));
    app.get('/v1/jobs', (_request, response) => {
      response.json({ from: 'app' });
    });

    expect((await request(app).get('/healthz').expect(200)).body).toEqual({ from: 'router' });
    // Express matches case-insensitively and with a trailing slash: so does the gate.
    expect((await request(app).get('/HEALTHZ/').expect(200)).body).toEqual({ from: 'router' });
    expect((await request(app).get('/v1/jobs').expect(200)).body).toEqual({ from: 'app' });
    expect(entered).toEqual(['/healthz', '/HEALTHZ/']);
  });

  it('keeps the router stack visible (the route table walks it)', () => {
    const router = Router();
    router.get('/metrics', (_request, response) => {
      response.end();
    });
    expect(pathGate(outsideApi, router).stack).toBe(router.stack);
  });

  it('outsideApi: everything but /v1/…, in any case', () => {
    for (const url of ['/healthz', '/readyz?x=1', '/metrics', '/admin/queues/', '/docs', '/v1'])
      expect(outsideApi(url)).toBe(true);
    for (const url of ['/v1/jobs', '/V1/files', '/v1/'] as const)
      expect(outsideApi(url)).toBe(false);
  });

  it('atOrBelow: the base path, below it, with a query, any case, absolute form; not a longer name', () => {
    const files = atOrBelow('/v1/files');
    for (const url of [
      '/v1/files',
      '/v1/files/',
      '/v1/files?limit=2',
      '/V1/Files/f_1/content',
      'http://api.example/v1/files',
    ])
      expect(files(url)).toBe(true);
    for (const url of ['/v1/filesystem', '/v1/jobs', '/v1', '/x/v1/files'])
      expect(files(url)).toBe(false);
  });
});
