import { once } from 'node:events';
import { createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Gateway {
  /** The gateway's origin (`http://127.0.0.1:<port>`): paths go to the upstream as they are. */
  url: string;
  /** How many connections clients opened to the gateway so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A gateway in front of an upstream (the simulator) that counts the connections clients open to
 * it and adds `added` headers of its own to every answer, after the upstream's: a name both send
 * arrives twice, as behind a proxy or an API gateway that sets its own `retry-after`,
 * `x-request-id` or rate-limit headers.
 */
export async function startGateway(
  upstream: string,
  added: Record<string, string> = {},
): Promise<Gateway> {
  const target = new URL(upstream);
  const server = createServer((request, response) => {
    const outgoing = forward(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        const raw = [...answer.rawHeaders];
        for (const [name, value] of Object.entries(added)) raw.push(name, value);
        response.writeHead(answer.statusCode ?? 502, raw);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    request.pipe(outgoing);
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
