import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { CallSignal } from '../call-signal';
import { isConnectionFailure } from '../transport-error';
import { postJsonOrThrow, postJsonWholeOrThrow } from './error-answer';
import { createKeepAliveAgent, type KeepAlivePool } from './keep-alive-pool';
import { headerReader, postJson, postJsonWhole, postTarget, readText } from './post-json';
import type { AbortWatch } from './provider-response';
import { readServerSentEvents } from './read-server-sent-events';
import { localTlsCertificate, localTlsKey } from './test-support/local-tls';

type Answer = (response: ServerResponse, request: IncomingMessage, body: string) => void;

interface LocalServer {
  url: URL;
  server: Server;
  /** Every socket the server accepted, in order. */
  sockets: Socket[];
}

const servers: Server[] = [];
const pools: KeepAlivePool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A local server whose every answer is written by `answer` once the request body is in. */
async function serve(answer: Answer, tls = false): Promise<LocalServer> {
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => answer(response, request, Buffer.concat(chunks).toString('utf8')));
  };
  const server = tls
    ? createTlsServer({ cert: localTlsCertificate, key: localTlsKey }, handle)
    : createServer(handle);
  const sockets: Socket[] = [];
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => sockets.push(socket));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`${tls ? 'https' : 'http'}://127.0.0.1:${port}/v1/chat`), sockets, server };
}

function poolFor(url: URL, options?: Parameters<typeof createKeepAliveAgent>[1]): KeepAlivePool {
  const pool = createKeepAliveAgent(url, options);
  pools.push(pool);
  return pool;
}

function postTo(
  url: URL,
  agent: KeepAlivePool,
  signal: AbortWatch = new AbortController().signal,
  body = '{}',
  headers: Record<string, string> = {},
) {
  return postJson({ target: postTarget(url), body, headers, agent, signal });
}

async function post(answer: Answer, signal: AbortWatch = new AbortController().signal) {
  const { url } = await serve(answer);
  return postTo(url, poolFor(url), signal);
}

const json = (response: ServerResponse, body: unknown) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

describe('postJson and readText', () => {
  it('reads a body whose characters are split across chunks', async () => {
    const text = JSON.stringify({ text: 'naïve café — 東京 🚀' });
    const bytes = Buffer.from(text);
    // Cut inside the rocket's four bytes, and inside 東.
    const cuts = [bytes.indexOf(Buffer.from('🚀')) + 2, bytes.indexOf(Buffer.from('東')) + 1];
    const response = await post((answer) => {
      answer.writeHead(200, { 'content-type': 'application/json' });
      answer.write(bytes.subarray(0, cuts[1]));
      setTimeout(() => {
        answer.write(bytes.subarray(cuts[1], cuts[0]));
        setTimeout(() => answer.end(bytes.subarray(cuts[0])), 5);
      }, 5);
    });
    expect(await readText(response)).toBe(text);
  });

  it('fails the read of a body cut off before its end', async () => {
    const response = await post((answer) => {
      answer.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      answer.write('{"text":"half');
      setTimeout(() => answer.socket?.destroy(), 5);
    });
    const failure = await readText(response).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    // Read as a broken connection (retryable), not as a bug.
    expect(isConnectionFailure(failure)).toBe(true);
  });

  it('fails the request with an AbortError when its signal aborts before the answer', async () => {
    const controller = new AbortController();
    const pending = post(() => undefined, controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
  });

  it('fails at once when the signal had already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let answered = false;
    await expect(
      post((answer) => {
        answered = true;
        answer.end('{}');
      }, controller.signal),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(answered).toBe(false);
  });

  it('fails the body read when the signal aborts mid-body', async () => {
    const controller = new AbortController();
    const response = await post((answer) => {
      answer.writeHead(200, { 'content-type': 'application/json' });
      answer.write('{"text":"');
    }, controller.signal);
    const reading = readText(response);
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  });

  it("fails the request and the body read through the adapters' CallSignal as through a signal", async () => {
    const controller = new AbortController();
    const call = new CallSignal(controller.signal, 60_000);
    const pending = post(() => undefined, call);
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    call.dispose();
    const timed = new CallSignal(undefined, 50);
    const response = await post((answer) => {
      answer.writeHead(200, { 'content-type': 'application/json' });
      answer.write('{"text":"');
    }, timed);
    await expect(readText(response)).rejects.toMatchObject({ name: 'AbortError' });
    expect(timed.abortError('p')?.code).toBe('timeout');
    timed.dispose();
  });

  it('fails a call still waiting for a connection as soon as its signal aborts', async () => {
    const { url } = await serve(() => undefined); // never answers
    const agent = poolFor(url, { maxSockets: 1 });
    const first = postTo(url, agent);
    first.catch(() => undefined);
    const controller = new AbortController();
    const queued = postTo(url, agent, controller.signal);
    controller.abort(new Error('stop'));
    // The one socket is still busy with the first call: the abort alone must settle this one.
    await expect(queued).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
  });

  it('reports a refused connection as a connection failure', async () => {
    const { url } = await serve(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const failure = await postTo(url, poolFor(url)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isConnectionFailure(failure)).toBe(true);
  });

  it('sends the body with its byte length and the headers as given, and reads response headers', async () => {
    let seen: { headers: IncomingMessage['headers']; body: string; path?: string } | undefined;
    const { url } = await serve((answer, request, body) => {
      seen = { headers: request.headers, body, path: request.url };
      answer.writeHead(200, [
        ['Content-Type', 'application/json'],
        ['X-RateLimit-Remaining-Requests', '41'],
      ]);
      answer.end('{}');
    });
    const body = JSON.stringify({ text: 'café 🚀' });
    const target = new URL(`${url.href}?api-version=2024-10-21`);
    const response = await postJson({
      target: postTarget(target),
      body,
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      agent: poolFor(url),
      signal: new AbortController().signal,
    });
    expect(await readText(response)).toBe('{}');
    expect(seen).toMatchObject({
      path: '/v1/chat?api-version=2024-10-21',
      body,
      headers: {
        host: url.host,
        'content-type': 'application/json',
        authorization: 'Bearer k',
        'content-length': String(Buffer.byteLength(body)),
      },
    });
    expect(headerReader(response)('x-ratelimit-remaining-requests')).toBe('41');
    expect(headerReader(response)('X-RateLimit-Remaining-Requests')).toBe('41');
  });

  it('keeps sockets alive across calls, error answers included, and destroy() closes them', async () => {
    let calls = 0;
    const { url, sockets } = await serve((answer) => {
      calls += 1;
      if (calls % 2 === 0) {
        answer.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
        answer.end(JSON.stringify({ error: { message: 'slow down' } }));
      } else json(answer, { call: calls });
    });
    const agent = poolFor(url);
    const signal = new AbortController().signal;
    const call = () =>
      postJsonOrThrow(
        { target: postTarget(url), body: '{}', headers: {}, agent, signal, callHeaders: undefined },
        (answer) =>
          Object.assign(new Error('error answer'), {
            answer: { ...answer, retryAfter: answer.headers.get('retry-after') },
          }),
      );
    for (let round = 0; round < 4; round += 1) {
      expect(await readText(await call())).toBe(`{"call":${2 * round + 1}}`);
      await expect(call()).rejects.toMatchObject({
        answer: { status: 429, body: { error: { message: 'slow down' } }, retryAfter: '2' },
      });
    }
    // undici waits one turn of the event loop before it reuses a socket, so a call made at once
    // may take a second one; eight calls in a row still need no more than two.
    expect(sockets.length).toBeLessThanOrEqual(2);
    expect(sockets.filter((socket) => socket.destroyed)).toEqual([]);

    const closed = sockets.map((socket) => once(socket, 'close'));
    await agent.destroy();
    await Promise.all(closed);
  });

  it('closes the socket of a response dropped mid-body, and the next call opens another', async () => {
    let calls = 0;
    const { url, sockets } = await serve((answer) => {
      calls += 1;
      if (calls === 1) {
        answer.writeHead(200, { 'content-type': 'application/json' });
        answer.write('{"text":"');
      } else json(answer, { call: calls });
    });
    const agent = poolFor(url);
    const dropped = await postTo(url, agent);
    const closed = once(sockets[0] as Socket, 'close');
    dropped.destroy();
    await closed;
    expect(await readText(await postTo(url, agent))).toBe('{"call":2}');
    expect(sockets).toHaveLength(2);
    expect((sockets[1] as Socket).destroyed).toBe(false);
  });

  it('delivers a body far larger than its buffer, read slowly, whole', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const chunks = 64; // 4 MB: the parser pauses and resumes many times.
    const { url } = await serve((answer) => {
      answer.writeHead(200, { 'content-type': 'text/plain' });
      let written = 0;
      const write = () => {
        while (written < chunks) {
          written += 1;
          if (!answer.write(chunk)) return void answer.once('drain', write);
        }
        answer.end();
      };
      write();
    });
    const response = await postTo(url, poolFor(url));
    let bytes = 0;
    for await (const part of response) {
      bytes += (part as Buffer).length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(bytes).toBe(chunk.length * chunks);
  });

  it('never sends a call on a socket whose call is still running', async () => {
    // The first answer waits for the second request: queued behind it, they would never end.
    let releaseFirst: (() => void) | undefined;
    const { url, sockets } = await serve((response, request) => {
      if (request.url === '/v1/chat?first') {
        releaseFirst = () => json(response, { call: 'first' });
        return;
      }
      json(response, { call: 'second' });
      releaseFirst?.();
    });
    const agent = poolFor(url);
    const first = postTo(new URL('?first', url), agent);
    while (releaseFirst === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await postTo(url, agent);
    expect(await readText(second)).toBe('{"call":"second"}');
    expect(await readText(await first)).toBe('{"call":"first"}');
    expect(sockets).toHaveLength(2);
  });

  it("keeps an idle socket past undici's default 4 s when the server announces no timeout", async () => {
    const { url, sockets, server } = await serve((response) => json(response, {}));
    // No idle timeout of the server's, so no `Keep-Alive: timeout` header to go by.
    server.keepAliveTimeout = 0;
    const agent = poolFor(url);
    const first = await postTo(url, agent);
    expect(first.headers['keep-alive']).toBeUndefined();
    await readText(first);
    await new Promise((resolve) => setTimeout(resolve, 4500));
    await readText(await postTo(url, agent));
    expect(sockets).toHaveLength(1);
  }, 15_000);

  it('posts over https to a server it trusts', async () => {
    const { url } = await serve((answer, _request, body) => json(answer, { echoed: body }), true);
    const response = await postTo(
      url,
      poolFor(url, { ca: localTlsCertificate }),
      undefined,
      '{"a":1}',
    );
    expect(JSON.parse(await readText(response))).toEqual({ echoed: '{"a":1}' });
  });
});

describe('postJsonWhole', () => {
  function postWholeTo(
    url: URL,
    agent: KeepAlivePool,
    signal: AbortWatch = new AbortController().signal,
  ) {
    return postJsonWhole({ target: postTarget(url), body: '{}', headers: {}, agent, signal });
  }

  async function postWhole(answer: Answer, signal: AbortWatch = new AbortController().signal) {
    const { url } = await serve(answer);
    return postWholeTo(url, poolFor(url), signal);
  }

  it('resolves with the status, the headers and a body whose characters are split across chunks', async () => {
    const text = JSON.stringify({ text: 'naïve café — 東京 🚀' });
    const bytes = Buffer.from(text);
    const cuts = [bytes.indexOf(Buffer.from('東')) + 1, bytes.indexOf(Buffer.from('🚀')) + 2];
    const answer = await postWhole((response) => {
      response.writeHead(201, [
        ['Content-Type', 'application/json'],
        ['X-Request-Id', 'req_1'],
      ]);
      response.write(bytes.subarray(0, cuts[0]));
      setTimeout(() => {
        response.write(bytes.subarray(cuts[0], cuts[1]));
        setTimeout(() => response.end(bytes.subarray(cuts[1])), 5);
      }, 5);
    });
    expect(answer).toMatchObject({ statusCode: 201, text });
    expect(answer.bodyError).toBeUndefined();
    expect(headerReader(answer)('X-Request-Id')).toBe('req_1');
  });

  it('fails a 2xx whose body is cut off as a broken connection', async () => {
    const failure = await postWhole((response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"text":"half');
      setTimeout(() => response.socket?.destroy(), 5);
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(isConnectionFailure(failure)).toBe(true);
  });

  it('resolves an error answer whose body is cut off, with the read error beside its status', async () => {
    const { url } = await serve((response) => {
      response.writeHead(503, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"error":');
      setTimeout(() => response.socket?.destroy(), 5);
    });
    const failure = await postJsonWholeOrThrow(
      {
        target: postTarget(url),
        body: '{}',
        headers: {},
        agent: poolFor(url),
        signal: new AbortController().signal,
        callHeaders: undefined,
      },
      (answer) => Object.assign(new Error('error answer'), { answer }),
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ answer: { status: 503, body: undefined } });
    expect((failure as { answer: { message?: string } }).answer.message).toEqual(
      expect.any(String),
    );
  });

  it('fails with an AbortError when its signal aborts before the answer, or had already', async () => {
    const controller = new AbortController();
    const pending = postWhole(() => undefined, controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    const aborted = new AbortController();
    aborted.abort();
    let answered = false;
    await expect(
      postWhole((response) => {
        answered = true;
        response.end('{}');
      }, aborted.signal),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(answered).toBe(false);
  });

  it("fails mid-body on its CallSignal's timer, closes that socket, and the next call opens another", async () => {
    let calls = 0;
    const { url, sockets } = await serve((response) => {
      calls += 1;
      if (calls === 1) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"text":"');
      } else json(response, { call: calls });
    });
    const agent = poolFor(url);
    const timed = new CallSignal(undefined, 50);
    await expect(postWholeTo(url, agent, timed)).rejects.toMatchObject({ name: 'AbortError' });
    expect(timed.abortError('p')?.code).toBe('timeout');
    timed.dispose();
    if (!(sockets[0] as Socket).destroyed) await once(sockets[0] as Socket, 'close');
    expect(await postWholeTo(url, agent)).toMatchObject({ text: '{"call":2}' });
    expect(sockets).toHaveLength(2);
  });

  it('fails a call still waiting for a connection as soon as its signal aborts', async () => {
    const { url } = await serve(() => undefined); // never answers
    const agent = poolFor(url, { maxSockets: 1 });
    postWholeTo(url, agent).catch(() => undefined);
    const controller = new AbortController();
    const queued = postWholeTo(url, agent, controller.signal);
    controller.abort(new Error('stop'));
    await expect(queued).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
  });

  it('keeps sockets alive across calls, error answers included', async () => {
    let calls = 0;
    const { url, sockets } = await serve((response) => {
      calls += 1;
      if (calls % 2 === 0) {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
        response.end(JSON.stringify({ error: { message: 'slow down' } }));
      } else json(response, { call: calls });
    });
    const agent = poolFor(url);
    const call = () =>
      postJsonWholeOrThrow(
        {
          target: postTarget(url),
          body: '{}',
          headers: {},
          agent,
          signal: new AbortController().signal,
          callHeaders: { 'x-llmq-attempt': '1' },
        },
        (answer) =>
          Object.assign(new Error('error answer'), {
            answer: { ...answer, retryAfter: answer.headers.get('retry-after') },
          }),
      );
    for (let round = 0; round < 4; round += 1) {
      expect((await call()).text).toBe(`{"call":${2 * round + 1}}`);
      await expect(call()).rejects.toMatchObject({
        answer: { status: 429, body: { error: { message: 'slow down' } }, retryAfter: '2' },
      });
    }
    expect(sockets).toHaveLength(1);
  });
});

describe('server-sent events over postJson', () => {
  it('yields whole characters when a chunk ends inside one, and fails a stream cut short', async () => {
    const bytes = Buffer.from('data: {"text":"東京 🚀"}\n\ndata: {"text":"é');
    const cut = bytes.indexOf(Buffer.from('🚀')) + 1;
    const { url } = await serve((answer) => {
      answer.writeHead(200, { 'content-type': 'text/event-stream' });
      answer.write(bytes.subarray(0, cut));
      setTimeout(() => {
        answer.write(bytes.subarray(cut));
        setTimeout(() => answer.socket?.destroy(), 5);
      }, 5);
    });
    const response = await postTo(url, poolFor(url));
    const events: string[] = [];
    const failure = await (async () => {
      for await (const data of readServerSentEvents(response)) events.push(data);
    })().catch((error: unknown) => error);
    expect(events).toEqual(['{"text":"東京 🚀"}']);
    expect(isConnectionFailure(failure)).toBe(true);
  });
});
