import type { Response } from 'express';

/** Starts a server-sent-events answer: status 200, no buffering by proxies, headers sent now. */
export function openEventStream(response: Response): void {
  response.status(200);
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache, no-transform');
  response.setHeader('Connection', 'keep-alive');
  response.setHeader('X-Accel-Buffering', 'no');
  response.flushHeaders();
}

/** One SSE event; `data` is written as is (callers pass JSON on one line). */
export interface ServerSentEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Writes one event; false when the client is gone. */
export function writeEvent(response: Response, event: ServerSentEvent): boolean {
  if (response.writableEnded || response.destroyed) return false;
  let frame = '';
  if (event.id !== undefined) frame += `id: ${event.id}\n`;
  if (event.event !== undefined) frame += `event: ${event.event}\n`;
  frame += `data: ${event.data}\n\n`;
  response.write(frame);
  return true;
}

/** An SSE comment: every client ignores it, and it keeps an idle connection alive. */
export const keepAliveComment = ': keep-alive\n\n';

/**
 * Writes `frame` (default an SSE comment) every `intervalMs` so proxies and load balancers do
 * not cut a stream that is waiting for its job; returns a stop function.
 */
export function keepAlive(
  response: Response,
  intervalMs = 15_000,
  frame: string = keepAliveComment,
): () => void {
  const timer = setInterval(() => {
    if (!response.writableEnded && !response.destroyed) response.write(frame);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
