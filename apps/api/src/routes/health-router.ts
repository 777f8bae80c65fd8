import { Router } from 'express';
import type { Redis } from 'ioredis';
import { methodNotAllowed } from '../http/api-error';

/** `GET /healthz` (the process is up) and `GET /readyz` (Redis answers). No key needed. */
export function healthRouter(redis: Redis): Router {
  const router = Router();
  router
    .route('/healthz')
    .get((_request, response) => {
      response.json({ status: 'ok' });
    })
    .all(methodNotAllowed(['GET']));
  router
    .route('/readyz')
    .get(async (_request, response) => {
      // A connection that is not ready (Redis down, reconnecting) answers at once, without a
      // PING that would wait in the offline queue.
      const ready =
        redis.status === 'ready' &&
        (await Promise.race([
          redis.ping().then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false).unref()),
        ]));
      if (ready) {
        response.json({ status: 'ready', redis: 'ok' });
        return;
      }
      response
        .status(503)
        .json({ error: { code: 'redis_unavailable', message: 'Redis does not answer' } });
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
