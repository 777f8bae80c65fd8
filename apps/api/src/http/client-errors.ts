import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Answers requests Node's HTTP parser rejects before Express sees them (malformed request
 * line, header block over `maxHeaderSize`, header or request timeouts) with our JSON error
 * format instead of Node's bare `400 Bad Request`.
 */
export function answerClientErrorsWithJson(server: Server): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'the request headers are larger than the configured limit']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'request_timeout', 'the request was not received in time']
          : [400, 'invalid_request', 'the request could not be parsed as HTTP'];
    const body = JSON.stringify({ error: { code, message } });
    const reason =
      status === 431
        ? 'Request Header Fields Too Large'
        : status === 408
          ? 'Request Timeout'
          : 'Bad Request';
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
