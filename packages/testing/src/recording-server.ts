import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a {@link RecordingServer} received, its body parsed as JSON. */
export interface RecordedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * A real HTTP server on a free loopback port that records every request (JSON bodies) and
 * answers with `answer`, which a test sets before the call it makes: what an adapter puts on
 * the wire, checked on a socket rather than through a mocked client.
 */
export interface RecordingServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  /** What arrived so far, oldest first (a test may empty it). */
  readonly requests: RecordedRequest[];
  /** How the next requests are answered (default: 500 with an empty body). */
  answer: (response: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const recording: Omit<RecordingServer, 'url' | 'close'> = {
    requests: [],
    answer: (response) => {
      response.writeHead(500).end();
    },
  };
  const server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
    });
    request.on('end', () => {
      recording.requests.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: JSON.parse(text) as Record<string, unknown>,
      });
      recording.answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(recording, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
