import type { RequestHandler } from 'express';

/**
 * Answers 503 `request_timeout` when a handler has not answered within `timeoutMs` (env
 * `REQUEST_TIMEOUT_MS`). A streaming route (SSE) calls `response.locals.clearRequestTimeout()`
 * once it starts streaming.
 */
export function requestTimeout(timeoutMs: number): RequestHandler {
  return (_request, response, next) => {
    const timer = setTimeout(() => {
      if (response.headersSent) return;
      response.setHeader('Retry-After', '1');
      response.status(503).json({
        error: {
          code: 'request_timeout',
          message: `no answer within ${timeoutMs} ms; retry shortly`,
        },
      });
    }, timeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    response.locals.clearRequestTimeout = clear;
    response.on('finish', clear);
    response.on('close', clear);
    next();
  };
}
