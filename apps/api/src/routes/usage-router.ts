import { ClientError, type RedisKeys, readUsageReport, usageQuerySchema } from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import type { Redis } from 'ioredis';
import { methodNotAllowed } from '../http/api-error';
import { principalOf } from '../http/authenticate';
import type { RequireScope } from '../http/require-scope';

export interface UsageRouterOptions {
  redis: Redis;
  keys: RedisKeys;
  requireScope: RequireScope;
}

/**
 * `GET /v1/usage?start=&end=&group_by=model,day`: the caller's tenant's cost and tokens from
 * the cost ledger (scope `usage`). The tenant is the key's; no query can name another one.
 */
export function usageRouter({ redis, keys, requireScope }: UsageRouterOptions): Router {
  const router = Router();
  router
    .route('/v1/usage')
    .get(requireScope('usage'), async (request: Request, response: Response) => {
      const query = usageQuerySchema.parse(request.query);
      const report = await readUsageReport(redis, keys, principalOf(response).tenant, query);
      if ('error' in report) throw new ClientError('invalid_request', report.error);
      response.json(report);
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
