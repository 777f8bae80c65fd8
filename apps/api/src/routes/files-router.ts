import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  type BatchLimits,
  type BatchStore,
  ClientError,
  type FileStorage,
  filePurposeSchema,
  type IdempotencyStore,
  newId,
  toFileView,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import { readIdempotencyKey } from '../http/idempotency-key';
import { keepOnce } from '../http/idempotent-create';
import { receiveUpload } from '../http/receive-upload';
import type { RequireScope } from '../http/require-scope';

export interface FilesRouterOptions {
  /** Every route here needs the `batches` scope. */
  requireScope: RequireScope;
  files: FileStorage;
  limits: BatchLimits;
  idempotency: IdempotencyStore;
  /** Batches made from a file: one still running keeps the file from deletion. */
  batchStore: Pick<BatchStore, 'unfinishedBatchOfFile'>;
}

/**
 * OpenAI's `GET /v1/files` query. `purpose` may be any of OpenAI's purposes: one llmq never
 * stores (`fine-tune`, `assistants` …) lists no file.
 */
export const fileListQuerySchema = z
  .object({
    purpose: z.string().min(1).max(64).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
    after: z.string().min(1).max(100).optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
  })
  .strict();

const fileIdPattern = /^file-[0-9a-f]{32}$/;

/**
 * OpenAI-compatible `POST /v1/files`, `GET /v1/files` (filters and cursor pagination),
 * `GET`/`DELETE /v1/files/:id`, `GET /v1/files/:id/content`. A tenant sees only its own files.
 */
export function filesRouter({
  files,
  limits,
  idempotency,
  batchStore,
  requireScope,
}: FilesRouterOptions): Router {
  const router = Router();

  router
    .route('/v1/files')
    .post(requireScope('batches'), async (request: Request, response: Response) => {
      if (!request.is('multipart/form-data')) {
        throw new ClientError(
          'unsupported_media_type',
          'upload the file as multipart/form-data with fields "file" and "purpose"',
        );
      }
      const key = readIdempotencyKey(request);
      const tenant = tenantOf(response);
      // The key's body hash covers the route and the file's content.
      const hash = createHash('sha256').update('files\n');
      try {
        const stored = await receiveUpload(request, {
          storage: files,
          tenant,
          fileId: newId('file-'),
          maxBytes: limits.maxFileBytes,
          maxLines: limits.maxLines,
          ...(key === undefined ? {} : { onChunk: (chunk: Buffer) => hash.update(chunk) }),
        });
        const file =
          key === undefined
            ? stored
            : await keepOnce({
                idempotency,
                tenant,
                key,
                bodyHash: hash.digest('hex'),
                stored,
                find: async (id) => {
                  const found = await files.get(id);
                  return found?.tenant === tenant ? found : null;
                },
                drop: (id) => files.remove(id),
                notFound: fileNotFound,
                response,
              });
        response.json(toFileView(file));
      } catch (error) {
        // The rest of a refused upload is not read: close the connection after answering.
        if (!request.complete) response.setHeader('Connection', 'close');
        throw error;
      }
    })
    .get(requireScope('batches'), async (request: Request, response: Response) => {
      const query = fileListQuerySchema.parse(request.query);
      const purpose = filePurposeSchema.safeParse(query.purpose);
      const page =
        query.purpose !== undefined && !purpose.success
          ? { files: [], hasMore: false }
          : await files.list(tenantOf(response), {
              limit: query.limit,
              order: query.order,
              ...(purpose.success ? { purpose: purpose.data } : {}),
              ...(query.after !== undefined ? { after: query.after } : {}),
            });
      const data = page.files.map(toFileView);
      response.json({
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
        has_more: page.hasMore,
      });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/v1/files/:id')
    .get(requireScope('batches'), async (request: Request, response: Response) => {
      response.json(toFileView(await ownFile(files, request, response)));
    })
    .delete(requireScope('batches'), async (request: Request, response: Response) => {
      const file = await ownFile(files, request, response);
      // A batch still validating reads its input file; one running may read it again after a
      // worker restart. Its lines are queued already, but refusing is the simple safe rule.
      const batchId = await batchStore.unfinishedBatchOfFile(file.id);
      if (batchId !== undefined) {
        throw new ClientError(
          'file_in_use',
          `batch ${batchId} has not finished and uses this file; delete it once the batch ends`,
          { batch_id: batchId },
          // The official SDKs retry a 409 (a lock timeout to them): this one will not clear soon.
          { 'x-should-retry': 'false' },
        );
      }
      await files.remove(file.id);
      response.json({ id: file.id, object: 'file', deleted: true });
    })
    .all(methodNotAllowed(['DELETE', 'GET']));

  router
    .route('/v1/files/:id/content')
    .get(requireScope('batches'), async (request: Request, response: Response) => {
      const file = await ownFile(files, request, response);
      response.status(200);
      response.setHeader('Content-Type', 'application/jsonl');
      response.setHeader('Content-Length', String(file.bytes));
      for await (const chunk of files.read(file.id)) {
        if (!response.write(chunk)) await once(response, 'drain');
      }
      response.end();
    })
    .all(methodNotAllowed(['GET']));

  return router;
}

async function ownFile(files: FileStorage, request: Request, response: Response) {
  const id = request.params.id;
  const file = typeof id === 'string' && fileIdPattern.test(id) ? await files.get(id) : null;
  if (!file || file.tenant !== tenantOf(response)) throw fileNotFound();
  return file;
}

function fileNotFound(): ClientError {
  return new ClientError('file_not_found', 'no such file');
}

function tenantOf(response: Response): string {
  return response.locals.tenant as string;
}
