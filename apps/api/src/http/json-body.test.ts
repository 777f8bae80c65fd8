import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createLogger, maxJsonDepth } from '@llmq/core';
import express, { type Express } from 'express';
import request from 'supertest';
import { errorHandler } from './api-error';
import { byteSize, jsonBody } from './json-body';
import { requireJsonBody } from './require-json-body';

/** An app that answers with what the reader left in `request.body`, errors in llmq's JSON. */
function echoApp(limit: number | string = 64): Express {
  const app = express();
  app.use(jsonBody({ limit }));
  app.post('/echo', (request, response) => {
    response.json({ has_body: 'body' in request, body: request.body ?? null });
  });
  app.post('/job', requireJsonBody, (request, response) => {
    response.json({ body: request.body });
  });
  app.use(errorHandler(createLogger({ service: 'json-body-test', level: 'error' })));
  return app;
}

/** POSTs raw bytes (a Buffer, or a stream sent chunked) to the app on a real socket. */
async function postBytes(
  app: Express,
  path: string,
  body: Buffer | ReadableStream<Uint8Array>,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const server = app.listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const answer = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers,
      body,
      duplex: 'half',
    } as RequestInit);
    return { status: answer.status, body: await answer.json() };
  } finally {
    server.close();
  }
}

/**
 * An echo app whose first middleware waits first: by default for I/O, as the key's rate limit
 * does (a Redis round trip), so a request whose head and body came in one read is complete when
 * the reader gets it; or for a microtask only, as authentication does, so the parser has not
 * handed the body over yet. It counts the `data` listeners added to the request after that.
 */
function awaitingEchoApp(
  limit: number | string = 64,
  wait: () => Promise<unknown> = () => new Promise((resolve) => setImmediate(resolve)),
): Express {
  const app = express();
  app.use(async (request, response, next) => {
    await wait();
    response.locals.complete = request.complete;
    let dataListeners = 0;
    const on = request.on;
    request.on = function countingOn(this: typeof request, event, listener) {
      if (event === 'data') dataListeners += 1;
      return on.call(this, event, listener);
    } as typeof request.on;
    response.locals.dataListeners = () => dataListeners;
    next();
  });
  app.use(jsonBody({ limit }));
  app.post('/echo', (request, response) => {
    response.json({
      body: request.body ?? null,
      complete: response.locals.complete,
      data_listeners: (response.locals.dataListeners as () => number)(),
    });
  });
  app.use(errorHandler(createLogger({ service: 'json-body-test', level: 'error' })));
  return app;
}

/** Sends a whole HTTP/1.1 request (head and body) in one socket write; the answer's status and JSON. */
async function sendInOneWrite(
  app: Express,
  head: string[],
  body: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const server = app.listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${head.join('\r\n')}\r\n\r\n${body}`,
        );
      });
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        answer += chunk;
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
    const [statusLine = '', ...rest] = raw.split('\r\n');
    const text = rest.join('\r\n').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    return { status: Number(statusLine.split(' ')[1]), body: JSON.parse(text) };
  } finally {
    server.close();
  }
}

describe('jsonBody, a body the HTTP parser already holds', () => {
  it('is read from the stream buffer when its head and body came in one read, even before the parser handed the body over', async () => {
    const body = '{"a":[1,"é"]}';
    const answer = await sendInOneWrite(
      awaitingEchoApp(64, () => Promise.resolve()),
      ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`],
      body,
    );
    // Not complete when the reader got the request, read without a data listener all the same.
    expect(answer).toEqual({
      status: 200,
      body: { body: { a: [1, 'é'] }, complete: false, data_listeners: 0 },
    });
  });

  it('is read from the stream buffer, with no data listener', async () => {
    const body = '{"a":[1,"é"]}';
    const answer = await sendInOneWrite(
      awaitingEchoApp(),
      ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`],
      body,
    );
    expect(answer).toEqual({
      status: 200,
      body: { body: { a: [1, 'é'] }, complete: true, data_listeners: 0 },
    });
  });

  it('answers malformed JSON with 400 and a chunked body over the limit with 413', async () => {
    const malformed = '{"messages": [';
    const bad = await sendInOneWrite(
      awaitingEchoApp(),
      ['Content-Type: application/json', `Content-Length: ${malformed.length}`],
      malformed,
    );
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    const chunk = JSON.stringify({ p: 'x'.repeat(80) });
    const tooLarge = await sendInOneWrite(
      awaitingEchoApp(64),
      ['Content-Type: application/json', 'Transfer-Encoding: chunked'],
      `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    expect(tooLarge).toMatchObject({
      status: 413,
      body: { error: { code: 'payload_too_large' } },
    });
  });
});

describe('jsonBody', () => {
  it('parses an application/json body, with or without charset=utf-8', async () => {
    const plain = await request(echoApp())
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('{"a":[1,"é"]}')
      .expect(200);
    expect(plain.body.body).toEqual({ a: [1, 'é'] });
    const withCharset = await request(echoApp())
      .post('/echo')
      .set('Content-Type', 'Application/JSON; charset=UTF-8')
      .send('{"b":true}')
      .expect(200);
    expect(withCharset.body.body).toEqual({ b: true });
  });

  it('drops a leading byte order mark, as body-parser does', async () => {
    const response = await request(echoApp())
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('\uFEFF{"a":1}')
      .expect(200);
    expect(response.body.body).toEqual({ a: 1 });
  });

  it('reads an empty body as {}', async () => {
    const response = await request(echoApp())
      .post('/echo')
      .set('Content-Type', 'application/json')
      .set('Content-Length', '0')
      .expect(200);
    expect(response.body).toEqual({ has_body: true, body: {} });
  });

  it('accepts any JSON value, not only objects (requireJsonBody refuses those)', async () => {
    const scalar = await request(echoApp())
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('42')
      .expect(200);
    expect(scalar.body.body).toBe(42);
    const refused = await request(echoApp())
      .post('/job')
      .set('Content-Type', 'application/json')
      .send('[1]')
      .expect(400);
    expect(refused.body.error.code).toBe('invalid_request');
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const response = await request(echoApp())
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('{"messages": [')
      .expect(400);
    expect(response.body.error.code).toBe('invalid_json');
  });

  it('refuses a body nested past maxJsonDepth with 400 invalid_json, however it was sent', async () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
    const limit = 1024 * 1024;
    const atLimit = await request(echoApp(limit))
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(nested(maxJsonDepth))
      .expect(200);
    expect(atLimit.body.has_body).toBe(true);
    const tooDeep = nested(maxJsonDepth + 1);
    const plain = await request(echoApp(limit))
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(tooDeep)
      .expect(400);
    expect(plain.body.error).toMatchObject({
      code: 'invalid_json',
      message: `the request body nests arrays and objects more than ${maxJsonDepth} levels deep`,
    });
    // Far deeper than a recursive walk survives, through body-parser's path (compressed).
    const zipped = await postBytes(
      echoApp(limit),
      '/echo',
      gzipSync(`${'['.repeat(200_000)}${']'.repeat(200_000)}`),
      {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
    );
    expect(zipped).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
  });

  it('answers a body over the limit with 413, by its Content-Length or as it streams in', async () => {
    const declared = await request(echoApp(64))
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ prompt: 'x'.repeat(100) }))
      .expect(413);
    expect(declared.body.error.code).toBe('payload_too_large');

    // Chunked: no Content-Length, so the limit is found while reading.
    const chunked = await postBytes(
      echoApp(64),
      '/echo',
      new ReadableStream({
        start(controller) {
          for (let index = 0; index < 10; index += 1)
            controller.enqueue(new TextEncoder().encode(`"${'y'.repeat(20)}",`));
          controller.close();
        },
      }),
      { 'content-type': 'application/json' },
    );
    expect(chunked).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
  });

  it('takes a body exactly at the limit', async () => {
    const body = JSON.stringify({ p: 'z'.repeat(56) });
    expect(body.length).toBe(64);
    const response = await request(echoApp(64))
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(200);
    expect(response.body.body.p).toHaveLength(56);
  });

  it('leaves a body of another content type unread, and requireJsonBody answers 415', async () => {
    const echoed = await request(echoApp())
      .post('/echo')
      .set('Content-Type', 'text/plain')
      .send('{"a":1}')
      .expect(200);
    expect(echoed.body.body).toBeNull();
    const refused = await request(echoApp())
      .post('/job')
      .set('Content-Type', 'text/plain')
      .send('{"a":1}')
      .expect(415);
    expect(refused.body.error.code).toBe('unsupported_media_type');
  });

  it('still reads compressed bodies and other UTF charsets, and refuses a non-UTF one with 415', async () => {
    // Raw bytes over fetch: supertest would serialise a Buffer sent as JSON.
    const gzipped = await postBytes(echoApp(), '/echo', gzipSync('{"zipped":true}'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(gzipped).toEqual({ status: 200, body: { has_body: true, body: { zipped: true } } });
    const utf16 = await postBytes(echoApp(), '/echo', Buffer.from('{"wide":1}', 'utf16le'), {
      'content-type': 'application/json; charset=utf-16le',
    });
    expect(utf16).toEqual({ status: 200, body: { has_body: true, body: { wide: 1 } } });
    const latin1 = await request(echoApp())
      .post('/echo')
      .set('Content-Type', 'application/json; charset=iso-8859-1')
      .send('{"a":1}')
      .expect(415);
    expect(latin1.body.error.code).toBe('unsupported_media_type');
  });

  it('reads a size as body-parser does', () => {
    expect(byteSize('1mb')).toBe(1_048_576);
    expect(byteSize('64kb')).toBe(65_536);
    expect(byteSize('1.5KB')).toBe(1536);
    expect(byteSize('2048')).toBe(2048);
    expect(byteSize('100b')).toBe(100);
    expect(byteSize(512)).toBe(512);
    expect(() => byteSize('lots')).toThrow('option limit "lots" is invalid');
  });
});
