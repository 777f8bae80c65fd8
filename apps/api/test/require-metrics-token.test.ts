import { createLogger } from '@llmq/core';
import express from 'express';
import request from 'supertest';
import { errorHandler } from '../src/http/api-error';
import { requireMetricsToken } from '../src/http/require-metrics-token';

function appWith(token: string | undefined) {
  const app = express();
  app.get('/metrics', requireMetricsToken(token), (_request, response) => {
    response.type('text/plain').send('llm_requests_total 1\n');
  });
  app.use(errorHandler(createLogger({ service: 'test', level: 'error' })));
  return app;
}

it('serves metrics only with the configured token', async () => {
  const app = appWith('metrics-token-0001');
  await request(app).get('/metrics').set('Authorization', 'Bearer metrics-token-0001').expect(200);
  for (const header of [undefined, 'Bearer wrong', 'Bearer metrics-token-000', 'Basic x']) {
    const call = request(app).get('/metrics');
    if (header) call.set('Authorization', header);
    const refused = await call.expect(401);
    expect(refused.body.error.code).toBe('invalid_api_key');
  }
});

it('refuses everyone when no token is configured', async () => {
  await request(appWith(undefined)).get('/metrics').set('Authorization', 'Bearer ').expect(401);
});
