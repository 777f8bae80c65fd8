import {
  ClientError,
  findUsableModel,
  type ModelCatalog,
  pageAnthropicModels,
  toAnthropicModel,
  toOpenAIModel,
  toOpenAIModelList,
  usableModels,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import type { RequireScope } from '../http/require-scope';

export interface ModelsRouterOptions {
  catalog: ModelCatalog;
  requireScope: RequireScope;
}

/** Anthropic's lifecycle stages; every model llmq lists is `active`. */
const lifecycleSchema = z.enum(['active', 'deprecated', 'retired']);

/** Anthropic's list query: `limit` 1–1000 (default 20), one cursor at most, `lifecycle` filter. */
export const anthropicModelListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(20),
    after_id: z.string().min(1).max(200).optional(),
    before_id: z.string().min(1).max(200).optional(),
    lifecycle: z
      .union([lifecycleSchema, z.array(lifecycleSchema).min(1).max(3)])
      .optional()
      .transform((value) => (value === undefined || Array.isArray(value) ? value : [value])),
  })
  .strict()
  .refine((query) => query.after_id === undefined || query.before_id === undefined, {
    message: 'give after_id or before_id, not both',
    path: ['before_id'],
  });

/** OpenAI's list takes no query at all. */
const openaiListQuerySchema = z.object({}).strict();

/**
 * Anthropic's SDK writes arrays as `lifecycle[]=a&lifecycle[]=b`, which Express's simple query
 * parser keeps under the key `lifecycle[]`: read it as `lifecycle`.
 */
function withBracketArrays(query: Request['query']): Record<string, unknown> {
  const { 'lifecycle[]': bracketed, ...rest } = query;
  return bracketed === undefined ? rest : { ...rest, lifecycle: bracketed };
}

function speaksAnthropic(request: Request): boolean {
  return request.headers['anthropic-version'] !== undefined;
}

/**
 * `GET /v1/models` and `GET /v1/models/:id`, for both official SDKs: OpenAI's shape, or
 * Anthropic's (paginated) when the request carries `anthropic-version`. The list is the
 * catalog's usable models (see `usableModels`); an alias retrieves its model, answered under
 * the model's id. Scope `jobs:read`: listing models is reading, not running.
 */
export function modelsRouter({ catalog, requireScope }: ModelsRouterOptions): Router {
  const router = Router();
  router
    .route('/v1/models')
    .get(requireScope('jobs:read'), (request: Request, response: Response) => {
      const entries = usableModels(catalog);
      if (!speaksAnthropic(request)) {
        openaiListQuerySchema.parse(request.query);
        response.json(toOpenAIModelList(entries));
        return;
      }
      const query = anthropicModelListQuerySchema.parse(withBracketArrays(request.query));
      // Every listed model is active: a filter without `active` lists none.
      const listed = query.lifecycle && !query.lifecycle.includes('active') ? [] : entries;
      const page = pageAnthropicModels(listed, {
        limit: query.limit,
        ...(query.after_id !== undefined ? { afterId: query.after_id } : {}),
        ...(query.before_id !== undefined ? { beforeId: query.before_id } : {}),
      });
      if (!page) {
        const cursor = query.after_id !== undefined ? 'after_id' : 'before_id';
        throw new ClientError('invalid_request', `${cursor} names no listed model`, {
          issues: [{ path: cursor, message: 'unknown model id' }],
        });
      }
      response.json(page);
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/models/:id')
    .get(requireScope('jobs:read'), (request: Request, response: Response) => {
      const name = String(request.params.id);
      const entry = findUsableModel(catalog, name);
      if (!entry) throw new ClientError('model_not_found', `model "${name}" does not exist`);
      response.json(speaksAnthropic(request) ? toAnthropicModel(entry) : toOpenAIModel(entry));
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
