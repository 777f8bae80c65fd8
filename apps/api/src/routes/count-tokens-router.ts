import {
  anthropicCountTokensRequestSchema,
  ClientError,
  countAnthropicInputTokens,
  type ModelCatalog,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { methodNotAllowed } from '../http/api-error';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';

export interface CountTokensRouterOptions {
  catalog: ModelCatalog;
  requireScope: RequireScope;
}

/**
 * `POST /v1/messages/count_tokens`, Anthropic-compatible: `{ input_tokens }` of a message
 * request, counted in the API process (nothing is queued, no provider is called). The model
 * must be one `/v1/messages` could run (or `auto`); errors are in Anthropic's shape. Scope
 * `jobs:write`, like `POST /v1/estimate`: it is a dry run of a submit.
 */
export function countTokensRouter({ catalog, requireScope }: CountTokensRouterOptions): Router {
  const router = Router();
  router
    .route('/v1/messages/count_tokens')
    .post(requireScope('jobs:write'), requireJsonBody, (request: Request, response: Response) => {
      const body = anthropicCountTokensRequestSchema.parse(request.body);
      if (body.model !== 'auto') {
        const entry = catalog.resolve(body.model);
        if (!entry || !catalog.isAvailable(entry, 'chat'))
          throw new ClientError('model_not_found', `model "${body.model}" does not exist`);
      }
      response.json({ input_tokens: countAnthropicInputTokens(body) });
    })
    .all(methodNotAllowed(['POST']));
  return router;
}
