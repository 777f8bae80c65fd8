import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { createLogger } from '@llmq/core';
import express from 'express';
import request from 'supertest';
import { errorHandler } from './api-error';
import { jsonBody } from './json-body';
import { requireJsonBody } from './require-json-body';

const app = express();
app.use(jsonBody({ limit: '1kb' }));
app.post('/job', requireJsonBody, (request, response) => {
  response.json({ body: request.body });
});
app.use(errorHandler(createLogger({ service: 'require-json-body-test', level: 'error' })));

describe('requireJsonBody', () => {
  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset=utf-8',
  ])('takes a JSON object sent as %s', async (type) => {
    const response = await request(app)
      .post('/job')
      .set('Content-Type', type)
      .send('{"a":1}')
      .expect(200);
    expect(response.body.body).toEqual({ a: 1 });
  });

  it.each(['text/plain', 'application/vnd.api+json', 'application/x-www-form-urlencoded'])(
    'answers 415 for %s',
    async (type) => {
      const response = await request(app)
        .post('/job')
        .set('Content-Type', type)
        .send('{"a":1}')
        .expect(415);
      expect(response.body.error.code).toBe('unsupported_media_type');
    },
  );

  it('answers 415 for a request without a body (no Content-Length, not chunked)', async () => {
    // Raw HTTP: clients send `Content-Length: 0` or chunked for an empty POST.
    const server = app.listen(0, '127.0.0.1');
    try {
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      socket.end(
        'POST /job HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n',
      );
      let answer = '';
      for await (const chunk of socket) answer += String(chunk);
      expect(answer).toMatch(/^HTTP\/1\.1 415 /);
      expect(answer).toContain('"code":"unsupported_media_type"');
    } finally {
      server.close();
    }
  });

  it('takes an empty body sent with Content-Length: 0 as {} (then the route validates it)', async () => {
    const response = await request(app)
      .post('/job')
      .set('Content-Type', 'application/json')
      .set('Content-Length', '0')
      .expect(200);
    expect(response.body.body).toEqual({});
  });
});
