import { connect } from 'node:net';
import express, { type Express, type Response } from 'express';
import { sendJson } from './json-answer';

/** An app set up as `createApp` sets it up, answering one body both ways. */
function answeringApp(body: object, status: number): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const before = (response: Response) => {
    response.setHeader('X-Request-Id', 'request-1');
    response.setHeader('Location', '/v1/jobs/job_1');
  };
  app.post('/express', (_request, response) => {
    before(response);
    response.status(status).json(body);
  });
  app.post('/lean', (_request, response) => {
    before(response);
    sendJson(response, status, body);
  });
  return app;
}

/** The raw bytes of the answer to a POST of `{}` on a real socket, its `Date` line left out. */
async function rawAnswer(app: Express, path: string): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    await new Promise((resolve) => socket.once('close', resolve));
    return answer.replace(/^Date: .*\r\n/m, '');
  } finally {
    server.close();
  }
}

describe('sendJson', () => {
  it.each([
    [
      'a submit answer',
      202,
      { id: 'job_1', object: 'job', status: 'queued', links: { self: '/v1/jobs/job_1' } },
    ],
    ['text past ASCII (the length in bytes)', 200, { content: 'déjà vu — 東京 🦊', n: null }],
    ['an empty object', 201, {}],
  ])('writes the bytes Express’s json writes: %s', async (_name, status, body) => {
    const app = answeringApp(body, status);
    const expected = await rawAnswer(app, '/express');
    expect(expected).toContain(`HTTP/1.1 ${status} `);
    expect(expected).toContain('Content-Type: application/json; charset=utf-8');
    expect(await rawAnswer(app, '/lean')).toBe(expected);
  });
});
