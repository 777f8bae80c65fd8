import { estimateRequest, jobRequestSchema, type ModelCatalog } from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { methodNotAllowed } from '../http/api-error';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';

export interface EstimateRouterOptions {
  catalog: ModelCatalog;
  /** Model used when a request names none (env `DEFAULT_MODEL`). */
  defaultModel: string;
  requireScope: RequireScope;
}

/**
 * `POST /v1/estimate`: a job request's input tokens and cost per candidate model, and what its
 * `optimize` would change; nothing is queued. Scope `jobs:write`: it is a dry run of a submit.
 */
export function estimateRouter({
  catalog,
  defaultModel,
  requireScope,
}: EstimateRouterOptions): Router {
  const router = Router();
  router
    .route('/v1/estimate')
    .post(requireScope('jobs:write'), requireJsonBody, (request: Request, response: Response) => {
      const body = jobRequestSchema.parse(request.body);
      response.json(estimateRequest(catalog, defaultModel, body));
    })
    .all(methodNotAllowed(['POST']));
  return router;
}
