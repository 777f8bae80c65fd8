import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** One entry of a chain's `stack`: the shape of an Express layer the route table reads. */
export interface ChainEntry {
  handle: RequestHandler;
}

/** Middleware run in order as one Express layer; `stack` lists them, so the route table sees them. */
export type MiddlewareChain = RequestHandler & { stack: ChainEntry[] };

/**
 * Runs `handlers` in order as one layer of the app, as `app.use` of each in turn would: a
 * handler goes on with `next()`, answers, or fails (`next(error)`, a synchronous throw or a
 * rejected promise), and a failure skips the rest and goes to the app's error handlers.
 * Express spends a match, a parameter pass and several objects on every layer a request
 * enters (about 0.4 KB each, so a submit's twenty layers were a fifth of what it allocated);
 * the middleware every API request passes costs that once here. `next('route')` goes on, as
 * Express reads it in middleware outside a route; `next('router')` leaves the app's router,
 * as Express does. Only request handlers belong here: an error handler (four parameters),
 * which Express would skip, is refused when the chain is built.
 */
export function middlewareChain(handlers: readonly RequestHandler[]): MiddlewareChain {
  const errorHandler = handlers.findIndex((handler) => handler.length === 4);
  if (errorHandler !== -1)
    throw new TypeError(
      `middlewareChain: handler ${errorHandler} takes four parameters (an error handler); give it to app.use`,
    );
  const chain: RequestHandler = (request: Request, response: Response, out: NextFunction) => {
    let index = 0;
    const next = (signal?: unknown): void => {
      if (signal !== undefined && signal !== null && signal !== 'route') {
        out(signal);
        return;
      }
      const handler = handlers[index];
      index += 1;
      if (handler === undefined) {
        out();
        return;
      }
      try {
        const returned: unknown = handler(request, response, next);
        if (isThenable(returned))
          returned.then(undefined, (error: unknown) =>
            next(error || new Error('Rejected promise')),
          );
      } catch (error) {
        next(error);
      }
    };
    next();
  };
  return Object.assign(chain, { stack: handlers.map((handle) => ({ handle })) });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
