import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { createLogger, createMetrics } from '@llmq/core';
import request from 'supertest';
import { startMetricsServer } from '../src/observability/metrics-server';

const quiet = createLogger({
  service: 'api-test',
  level: 'error',
  stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
});
const token = 'metrics-token-for-tests-01';

describe('the API metrics port (METRICS_PORT)', () => {
  let server: Server;
  const metrics = createMetrics({ defaultMetrics: false });

  beforeAll(async () => {
    metrics.llmRequests.inc({ model: 'm', status: 'success' });
    server = await startMetricsServer({
      metrics,
      token,
      port: 0,
      host: '127.0.0.1',
      logger: quiet,
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves the registry with the token', async () => {
    const response = await request(server).get('/metrics').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toContain('llm_requests_total{model="m",status="success"} 1');
  });

  it('answers 401 without it, 405 to other methods and 404 elsewhere, as JSON errors', async () => {
    const anonymous = await request(server).get('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(anonymous.body).toEqual({
      error: { code: 'invalid_metrics_token', message: expect.any(String) },
    });
    expect((await request(server).post('/metrics')).body.error.code).toBe('method_not_allowed');
    expect((await request(server).get('/v1/jobs')).status).toBe(404);
  });
});
