import { PassThrough } from 'node:stream';
import { createLogger } from '@llmq/core';
import express from 'express';
import request from 'supertest';
import { errorHandler } from '../src/http/api-error';
import { requireRedis } from '../src/http/require-redis';

it('answers 503 redis_unavailable at once while the connection is lost, and waits while it opens', async () => {
  const connection = { status: 'ready' };
  const app = express();
  app.use(requireRedis(connection));
  app.get('/thing', (_request, response) => {
    response.json({ ok: true });
  });
  const logger = createLogger({ service: 'api-test', level: 'error', stream: new PassThrough() });
  app.use(errorHandler(logger));

  await request(app).get('/thing').expect(200, { ok: true });
  for (const status of ['reconnecting', 'close', 'end']) {
    connection.status = status;
    const answer = await request(app).get('/thing').expect(503);
    expect(answer.body.error.code).toBe('redis_unavailable');
    expect(answer.headers['retry-after']).toBe('1');
  }
  connection.status = 'connecting';
  await request(app).get('/thing').expect(200, { ok: true });
});
