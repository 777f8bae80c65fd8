import express, { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import request from 'supertest';
import { middlewareChain } from './middleware-chain';

/** An app with `chain` as its one middleware layer, a route after it, and an error handler. */
function appWith(chain: RequestHandler, seen: string[]) {
  const app = express();
  app.use(chain);
  app.get('/x', (_request, response) => {
    seen.push('route');
    response.json({ seen });
  });
  const onError: ErrorRequestHandler = (error, _request, response, _next) => {
    seen.push(`error:${error instanceof Error ? error.message : String(error)}`);
    response.status(418).json({ seen });
  };
  app.use(onError);
  return app;
}

const step =
  (name: string, seen: string[]): RequestHandler =>
  (_request, _response, next) => {
    seen.push(name);
    next();
  };

describe('middlewareChain', () => {
  it('refuses an error handler, which Express would skip on the way and this chain would call', () => {
    const onError: ErrorRequestHandler = (_error, _request, _response, next) => next();
    expect(() => middlewareChain([step('a', []), onError as unknown as RequestHandler])).toThrow(
      /handler 1 takes four parameters/,
    );
  });

  it('runs its handlers in order, then the app goes on', async () => {
    const seen: string[] = [];
    const asynchronous: RequestHandler = async (_request, _response, next) => {
      await Promise.resolve();
      seen.push('async');
      next();
    };
    const app = appWith(middlewareChain([step('a', seen), asynchronous, step('b', seen)]), seen);
    await request(app).get('/x').expect(200);
    expect(seen).toEqual(['a', 'async', 'b', 'route']);
  });

  it('skips the rest on next(error), a throw or a rejected promise, to the error handlers', async () => {
    const failures: Array<[string, RequestHandler]> = [
      ['passed', (_request, _response, next) => next(new Error('passed'))],
      [
        'thrown',
        () => {
          throw new Error('thrown');
        },
      ],
      [
        'rejected',
        async () => {
          await Promise.resolve();
          throw new Error('rejected');
        },
      ],
    ];
    for (const [message, failing] of failures) {
      const seen: string[] = [];
      const app = appWith(middlewareChain([step('a', seen), failing, step('b', seen)]), seen);
      await request(app).get('/x').expect(418);
      expect(seen).toEqual(['a', `error:${message}`]);
    }
  });

  it("reads next('route') as next() and next('router') as leaving the app's router", async () => {
    const seen: string[] = [];
    const app = appWith(
      middlewareChain([(_request, _response, next) => next('route'), step('after', seen)]),
      seen,
    );
    await request(app).get('/x').expect(200);
    expect(seen).toEqual(['after', 'route']);

    const left: string[] = [];
    const leaving = appWith(
      middlewareChain([(_request, _response, next) => next('router'), step('after', left)]),
      left,
    );
    await request(leaving).get('/x').expect(404);
    expect(left).toEqual([]);
  });

  it('lists its handlers as its stack, routers included (the route table walks it)', () => {
    const router = Router();
    router.get('/y', (_request, response) => {
      response.end();
    });
    const first: RequestHandler = (_request, _response, next) => next();
    const chain = middlewareChain([first, router]);
    expect(chain.stack.map((entry) => entry.handle)).toEqual([first, router]);
  });
});
