import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request a test receiver got, exactly as it arrived. */
export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
}

/** What the receiver answers to its n-th request (0-based); `hold` never answers. */
export type ReceiverAnswer = { status: number; location?: string } | 'hold';

/**
 * A real HTTP webhook receiver on 127.0.0.1 for end-to-end tests. It records every request and
 * verifies signatures with the `standardwebhooks` reference verifier, as a customer would.
 */
export async function startReceiver(
  options: { port?: number; answer?: (index: number) => ReceiverAnswer } = {},
) {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const index = received.length;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string') headers[name] = value;
      received.push({ headers, body });
      const answer = options.answer?.(index) ?? { status: 204 };
      if (answer === 'hold') return;
      response.writeHead(answer.status, answer.location ? { Location: answer.location } : {});
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** Verifies one message; returns the parsed payload or throws WebhookVerificationError. */
    verify(message: ReceivedWebhook, secret: string, body: string = message.body) {
      return new Webhook(secret).verify(body, message.headers) as {
        type: string;
        timestamp: string;
        data: { id: string; status: string; result?: { text: string } };
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
