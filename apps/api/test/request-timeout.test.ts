import express from 'express';
import request from 'supertest';
import { requestTimeout } from '../src/http/request-timeout';

it('answers 503 request_timeout when a handler is too slow, and leaves fast ones alone', async () => {
  const app = express();
  app.use(requestTimeout(50));
  app.get('/slow', (_request, response) => {
    setTimeout(() => {
      if (!response.headersSent) response.json({ late: true });
    }, 300).unref();
  });
  app.get('/fast', (_request, response) => {
    response.json({ ok: true });
  });
  const slow = await request(app).get('/slow').expect(503);
  expect(slow.body.error.code).toBe('request_timeout');
  expect(slow.headers['retry-after']).toBe('1');
  await request(app).get('/fast').expect(200, { ok: true });
});
