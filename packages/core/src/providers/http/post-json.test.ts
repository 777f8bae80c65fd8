import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { urlToHttpOptions } from 'node:url';
import { createKeepAliveAgent, postJson, readText } from './post-json';

/** A local server whose every answer is written by `answer`; closed after each test. */
async function serve(
  answer: (response: ServerResponse) => void,
): Promise<{ url: URL; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => answer(response));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/v1/chat`), server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function post(
  answer: (response: ServerResponse) => void,
  signal = new AbortController().signal,
) {
  const { url, server } = await serve(answer);
  servers.push(server);
  const agent = createKeepAliveAgent(url);
  return postJson({ target: urlToHttpOptions(url), body: '{}', headers: {}, agent, signal });
}

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
    await expect(readText(response)).rejects.toThrow();
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
    await expect(reading).rejects.toThrow();
  });
});
