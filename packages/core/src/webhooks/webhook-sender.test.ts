import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { freePort } from '@llmq/testing';
import { AddressPolicy } from './address-policy';
import { WebhookSender } from './webhook-sender';

interface Receiver {
  port: number;
  url: string;
  hits: { headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 whose answer the test chooses. */
async function startReceiver(
  answer: (response: http.ServerResponse) => void = (response) => response.end('ok'),
): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      hits.push({ headers: request.headers, body });
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const receivers: Receiver[] = [];
const senders: WebhookSender[] = [];
afterEach(async () => {
  for (const sender of senders.splice(0)) sender.close();
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function receiver(answer?: (response: http.ServerResponse) => void) {
  const started = await startReceiver(answer);
  receivers.push(started);
  return started;
}

function sender(
  allowlist: string[],
  options: { timeoutMs?: number; lookup?: LookupFunction } = {},
) {
  const created = new WebhookSender({ policy: new AddressPolicy(allowlist), ...options });
  senders.push(created);
  return created;
}

describe('WebhookSender', () => {
  it('posts the body and headers to an allowlisted receiver and reports a 2xx as success', async () => {
    const target = await receiver();
    const result = await sender([`127.0.0.1:${target.port}`]).send(
      target.url,
      { 'webhook-id': 'msg_1' },
      '{"a":1}',
    );
    expect(result).toMatchObject({ outcome: 'succeeded', statusCode: 200, responseBody: 'ok' });
    expect(target.hits).toHaveLength(1);
    expect(target.hits[0]?.body).toBe('{"a":1}');
    expect(target.hits[0]?.headers['webhook-id']).toBe('msg_1');
  });

  it('refuses a loopback receiver that is not allowlisted, sending it nothing', async () => {
    const target = await receiver();
    const viaName = `http://localhost:${target.port}/hook`;
    const viaMapped = `http://[::ffff:127.0.0.1]:${target.port}/hook`;
    for (const url of [target.url, viaName, viaMapped]) {
      const result = await sender([]).send(url, {}, '{}');
      expect(result.outcome).toBe('blocked');
    }
    expect(target.hits).toHaveLength(0);
  });

  it('checks the address actually resolved at send time (DNS rebinding)', async () => {
    const target = await receiver();
    // The name passed the submission check earlier; now its DNS answer is 127.0.0.1.
    const rebinding: LookupFunction = (_hostname, _options, callback) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    const result = await sender([], { lookup: rebinding }).send(
      `http://hooks.example.com:${target.port}/hook`,
      {},
      '{}',
    );
    expect(result).toMatchObject({ outcome: 'blocked', error: expect.stringMatching(/loopback/) });
    expect(target.hits).toHaveLength(0);
  });

  it('does not follow a redirect to a private address', async () => {
    const victim = await receiver();
    const redirecting = await receiver((response) => {
      response.writeHead(302, { Location: victim.url }).end();
    });
    const result = await sender([`127.0.0.1:${redirecting.port}`]).send(redirecting.url, {}, '{}');
    expect(result).toMatchObject({ outcome: 'http_error', statusCode: 302 });
    expect(redirecting.hits).toHaveLength(1);
    expect(victim.hits).toHaveLength(0);
  });

  it('reports 410 Gone, timeouts and refused connections as their own outcomes', async () => {
    const gone = await receiver((response) => response.writeHead(410).end());
    const silent = await receiver(() => undefined);
    const closedPort = await freePort();
    const send = sender(
      [`127.0.0.1:${gone.port}`, `127.0.0.1:${silent.port}`, `127.0.0.1:${closedPort}`],
      { timeoutMs: 200 },
    );
    expect(await send.send(gone.url, {}, '{}')).toMatchObject({ outcome: 'gone', statusCode: 410 });
    expect(await send.send(silent.url, {}, '{}')).toMatchObject({
      outcome: 'timeout',
      error: expect.stringMatching(/timed out/),
    });
    expect(await send.send(`http://127.0.0.1:${closedPort}/`, {}, '{}')).toMatchObject({
      outcome: 'connection_error',
    });
  });

  it('reads only the first 4 KiB of a large response body', async () => {
    const chatty = await receiver((response) => {
      response.writeHead(200);
      response.end('x'.repeat(1_000_000));
    });
    const result = await sender([`127.0.0.1:${chatty.port}`]).send(chatty.url, {}, '{}');
    expect(result.outcome).toBe('succeeded');
    expect(result.responseBody?.length).toBe(4096);
  });
});
