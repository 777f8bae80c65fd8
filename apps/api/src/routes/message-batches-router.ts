import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type BatchRecord,
  ClientError,
  canonicalJson,
  type IdempotencyStore,
  isClientError,
  type MessageBatchResultLine,
  type MessageBatchService,
  messageBatchResultsPath,
  newId,
  sha256,
  toMessageBatchView,
} from '@llmq/core';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import { readIdempotencyKey } from '../http/idempotency-key';
import { createOnce } from '../http/idempotent-create';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';

export interface MessageBatchesRouterOptions {
  /** Every route here needs the `batches` scope, as the OpenAI batch routes do. */
  requireScope: RequireScope;
  messageBatches: MessageBatchService;
  idempotency: IdempotencyStore;
}

/** The routes' base path; errors under it are answered in Anthropic's shape with `request-id`. */
const basePath = '/v1/messages/batches';

/** Anthropic's list query: newest first, `limit` 1–1000 (default 20), one cursor at a time. */
const listQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(20),
    after_id: z.string().min(1).max(100).optional(),
    before_id: z.string().min(1).max(100).optional(),
  })
  .strict()
  .refine((query) => query.after_id === undefined || query.before_id === undefined, {
    message: 'give after_id or before_id, not both',
  });

/**
 * The body parser of `POST /v1/messages/batches`, mounted before the app's general one: a
 * batch may be far larger than `BODY_LIMIT` (256 MB at Anthropic; see `MessageBatchLimits`).
 */
export function messageBatchesBodyParser(maxBodyBytes: number): RequestHandler {
  const parse = express.json({ limit: maxBodyBytes, strict: false });
  return (request, response, next) => {
    if (request.method === 'POST' && request.path.replace(/\/$/, '') === basePath) {
      parse(request, response, next);
      return;
    }
    next();
  };
}

/**
 * Anthropic Message Batches (`client.messages.batches` of the official SDK) on llmq's batch
 * machinery: create, retrieve, list, cancel, delete, and the results as JSONL at the batch's
 * `results_url`. Errors are Anthropic's `{type: "error", error: {type, message}}` (the error
 * dialect of every `/v1/messages` path).
 */
export function messageBatchesRouter({
  messageBatches,
  idempotency,
  requireScope,
}: MessageBatchesRouterOptions): Router {
  const router = Router();
  const viewOf = (request: Request, batch: BatchRecord) =>
    toMessageBatchView(batch, `${originOf(request)}${messageBatchResultsPath(batch.id)}`);

  router
    .route(basePath)
    .post(
      requireScope('batches'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        // Checked request by request in the service, yielding to other requests meanwhile.
        const body: unknown = request.body;
        const tenant = tenantOf(response);
        const key = readIdempotencyKey(request);
        const batch =
          key === undefined
            ? await messageBatches.create(tenant, body)
            : await createOnce({
                idempotency,
                tenant,
                key,
                bodyHash: sha256(`message-batches\n${canonicalJson(body)}`),
                newId: newId('msgbatch_'),
                find: (id) => messageBatches.get(tenant, id).catch(nullWhenNotFound),
                create: (batchId) => messageBatches.create(tenant, body, { batchId }),
                repair: (batch) => messageBatches.ensureQueued(batch.id),
                notFound: () => new ClientError('batch_not_found', 'no such message batch'),
                response,
              });
        response.json(viewOf(request, batch));
      },
    )
    .get(requireScope('batches'), async (request: Request, response: Response) => {
      const query = listQuerySchema.parse(request.query);
      const page = await messageBatches.list(tenantOf(response), {
        limit: query.limit,
        afterId: query.after_id,
        beforeId: query.before_id,
      });
      const data = page.batches.map((batch) => viewOf(request, batch));
      response.json({
        data,
        has_more: page.hasMore,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route(`${basePath}/:id`)
    .get(requireScope('batches'), async (request: Request, response: Response) => {
      response.json(viewOf(request, await messageBatches.get(tenantOf(response), idOf(request))));
    })
    .delete(requireScope('batches'), async (request: Request, response: Response) => {
      const id = idOf(request);
      await messageBatches.delete(tenantOf(response), id);
      response.json({ id, type: 'message_batch_deleted' });
    })
    .all(methodNotAllowed(['GET', 'DELETE']));

  router
    .route(`${basePath}/:id/cancel`)
    .post(requireScope('batches'), async (request: Request, response: Response) => {
      const batch = await messageBatches.cancel(tenantOf(response), idOf(request));
      response.json(viewOf(request, batch));
    })
    .all(methodNotAllowed(['POST']));

  router
    .route(`${basePath}/:id/results`)
    .get(requireScope('batches'), async (request: Request, response: Response) => {
      const lines = messageBatches.results(tenantOf(response), idOf(request));
      // The first line is read before the answer starts, so a refusal is a JSON error.
      const first = await lines.next();
      response.status(200).setHeader('Content-Type', 'application/x-jsonl');
      try {
        await pipeline(Readable.from(jsonlChunks(first, lines)), response);
      } catch (error) {
        // The client left, or reading failed mid-answer: the answer can only be cut short.
        if (!response.headersSent) throw error;
        response.destroy();
      }
    })
    .all(methodNotAllowed(['GET']));

  return router;
}

/** Where the client reached this API (its `Host`), so `results_url` works behind a port map. */
function originOf(request: Request): string {
  return `${request.protocol}://${request.get('host') ?? 'localhost'}`;
}

function idOf(request: Request): string {
  const id = request.params.id;
  return typeof id === 'string' ? id : '';
}

/** A replayed key whose batch is gone (deleted, or expired) finds nothing; other errors stand. */
function nullWhenNotFound(error: unknown): null {
  if (isClientError(error) && error.code === 'batch_not_found') return null;
  throw error;
}

/** Result lines as JSONL text, in chunks of about 64 KB rather than one write per line. */
async function* jsonlChunks(
  first: IteratorResult<MessageBatchResultLine>,
  rest: AsyncIterator<MessageBatchResultLine>,
): AsyncGenerator<string> {
  let chunk = '';
  for (let next = first; !next.done; next = await rest.next()) {
    chunk += `${JSON.stringify(next.value)}\n`;
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

function tenantOf(response: Response): string {
  return response.locals.tenant as string;
}
