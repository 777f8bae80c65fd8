import type { ServerResponse } from 'node:http';
import type { AnswerMode } from './answer-mode';
import { sendJson } from './send-json';

/**
 * Writes a 200 JSON answer. `cut` announces the full length, sends half and destroys the
 * socket; `malformed` sends the first half as if it were the whole body (never valid JSON,
 * since the closing brace is missing).
 */
export function writeJsonAnswer(
  response: ServerResponse,
  body: string,
  mode: AnswerMode,
  headers: Record<string, string>,
): void {
  const half = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
  switch (mode) {
    case 'whole':
      sendJson(response, 200, body, headers);
      return;
    case 'malformed':
      sendJson(response, 200, half, headers);
      return;
    case 'cut':
      response.writeHead(200, {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      });
      response.write(half, () => response.destroy());
      return;
    default: {
      const unexpected: never = mode;
      throw new Error(`Unknown answer mode ${String(unexpected)}`);
    }
  }
}
