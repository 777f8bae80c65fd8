import {
  type BatchService,
  type BatchStore,
  ClientError,
  canonicalJson,
  createBatchRequestSchema,
  type IdempotencyStore,
  newId,
  sha256,
  toBatchView,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import { readIdempotencyKey } from '../http/idempotency-key';
import { createOnce } from '../http/idempotent-create';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';

export interface BatchesRouterOptions {
  /** Every route here needs the `batches` scope. */
  requireScope: RequireScope;
  batches: BatchService;
  batchStore: BatchStore;
  idempotency: IdempotencyStore;
}

const batchIdPattern = /^batch_[0-9a-f]{32}$/;
const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(100).optional(),
});

/** OpenAI-compatible `POST /v1/batches`, `GET /v1/batches[/:id]`, `POST /v1/batches/:id/cancel`. */
export function batchesRouter({
  batches,
  batchStore,
  idempotency,
  requireScope,
}: BatchesRouterOptions): Router {
  const router = Router();

  router
    .route('/v1/batches')
    .post(
      requireScope('batches'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        const body = createBatchRequestSchema.parse(request.body);
        const tenant = tenantOf(response);
        const key = readIdempotencyKey(request);
        const batch =
          key === undefined
            ? await batches.create(tenant, body)
            : await createOnce({
                idempotency,
                tenant,
                key,
                bodyHash: sha256(`batches\n${canonicalJson(body)}`),
                newId: newId('batch_'),
                find: async (id) => {
                  const found = await batchStore.get(id);
                  return found?.tenant === tenant ? found : null;
                },
                create: (batchId) => batches.create(tenant, body, { batchId }),
                repair: (batch) => batches.ensureQueued(batch.id),
                notFound: batchNotFound,
                response,
              });
        response.json(toBatchView(batch));
      },
    )
    .get(requireScope('batches'), async (request: Request, response: Response) => {
      const query = listQuerySchema.parse(request.query);
      const page = await batchStore.list(tenantOf(response), query);
      const data = page.batches.map(toBatchView);
      response.json({
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: page.hasMore,
      });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/v1/batches/:id')
    .get(requireScope('batches'), async (request: Request, response: Response) => {
      const id = validBatchId(request);
      const batch = await batchStore.get(id);
      if (!batch || batch.tenant !== tenantOf(response)) throw batchNotFound();
      response.json(toBatchView(batch));
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/batches/:id/cancel')
    .post(requireScope('batches'), async (request: Request, response: Response) => {
      const batch = await batches.cancel(tenantOf(response), validBatchId(request));
      response.json(toBatchView(batch));
    })
    .all(methodNotAllowed(['POST']));

  return router;
}

function validBatchId(request: Request): string {
  const id = request.params.id;
  if (typeof id !== 'string' || !batchIdPattern.test(id)) throw batchNotFound();
  return id;
}

function batchNotFound(): ClientError {
  return new ClientError('batch_not_found', 'no such batch');
}

function tenantOf(response: Response): string {
  return response.locals.tenant as string;
}
