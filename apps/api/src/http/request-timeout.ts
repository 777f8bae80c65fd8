import type { RequestHandler, Response } from 'express';
import { errorAnswerBody } from './error-dialect';

/**
 * Answers 503 `request_timeout` (with `Retry-After: 1`, in the route's error dialect) when a
 * handler has not answered within `timeoutMs` (env `REQUEST_TIMEOUT_MS`). A route with a
 * deadline of its own (the sync endpoints wait for their job up to `SYNC_WAIT_TIMEOUT_MS`)
 * calls {@link disarmRequestTimeout} and answers its own timeout.
 */
export function requestTimeout(timeoutMs: number): RequestHandler {
  return (request, response, next) => {
    const timer = setTimeout(() => {
      if (response.headersSent) return;
      // 503 rather than the code table's 408: the handler, not the client, was slow (Node's
      // own header timeout answers 408); the dialects derive the error type from this status.
      const error = {
        status: 503,
        code: 'request_timeout',
        message: `no answer within ${timeoutMs} ms; retry shortly`,
      };
      response.setHeader('Retry-After', '1');
      response.status(503).json(errorAnswerBody(error, request, response));
    }, timeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    response.locals.clearRequestTimeout = clear;
    // A response emits `close` once it is sent (just after `finish`) or its connection drops.
    response.on('close', clear);
    next();
  };
}

/**
 * Takes the request off the general request timeout: the route answers within its own limit.
 * A retryable 503 must never be sent for a request whose job may already exist: the official
 * SDKs would retry it and queue the same prompt again.
 */
export function disarmRequestTimeout(response: Response): void {
  const clear = response.locals.clearRequestTimeout as (() => void) | undefined;
  clear?.();
}
