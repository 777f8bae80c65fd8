import express from 'express';
import request from 'supertest';
import { disarmRequestTimeout, requestTimeout } from '../src/http/request-timeout';

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

it("answers in the route's dialect, so an SDK reads the error it expects", async () => {
  const app = express();
  // As `requestTelemetry` does: the answer's request id (its `request-id` header on Anthropic's routes).
  app.use((_request, response, next) => {
    response.locals.requestId = 'req_slow';
    next();
  });
  app.use(requestTimeout(20));
  app.post('/v1/chat/completions/slow', () => undefined);
  app.post('/v1/messages/slow', () => undefined);
  const openai = await request(app).post('/v1/chat/completions/slow').expect(503);
  expect(openai.body).toEqual({
    error: {
      message: expect.stringContaining('20 ms'),
      type: 'server_error',
      param: null,
      code: 'request_timeout',
    },
  });
  const anthropic = await request(app).post('/v1/messages/slow').expect(503);
  expect(anthropic.body).toEqual({
    type: 'error',
    error: { type: 'api_error', message: expect.any(String), code: 'request_timeout' },
    request_id: 'req_slow',
  });
});

it('leaves a route that disarmed it to answer within its own limit', async () => {
  const app = express();
  app.use(requestTimeout(20));
  app.get('/own-deadline', (_request, response) => {
    disarmRequestTimeout(response);
    setTimeout(() => response.json({ answered: 'once' }), 100).unref();
  });
  await request(app).get('/own-deadline').expect(200, { answered: 'once' });
});
