import { type JobStore, type JobSubmitter, toJobView } from '@llmq/core';
import type { Queue } from 'bullmq';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import type { RequireScope } from '../http/require-scope';
import { readableRecord } from './job-requests';
import { jobNotFound, retryFailedJob } from './retry-failed-job';

export interface DeadLettersRouterOptions {
  store: JobStore;
  queue: Queue;
  /** Reserves budget for a rerun; absent, a retry reserves nothing. */
  submitter?: JobSubmitter;
  /** Scope guards: listing needs `jobs:read`, a retry `jobs:write`. */
  requireScope: RequireScope;
}

const jobIdPattern = /^job_[0-9a-f]{32}$/;

const listQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

/**
 * Dead letters: `GET /v1/dead-letters` lists the tenant's failed jobs (newest first, paginated,
 * kept for the result TTL); `POST /v1/jobs/:id/retry` runs a failed job again.
 */
export function deadLettersRouter({
  store,
  queue,
  submitter,
  requireScope,
}: DeadLettersRouterOptions): Router {
  const router = Router();

  router
    .route('/v1/dead-letters')
    .get(requireScope('jobs:read'), async (request: Request, response: Response) => {
      const query = listQuerySchema.parse(request.query);
      const tenant = response.locals.tenant as string;
      const page = await store.deadLetters.list(tenant, {
        limit: query.limit,
        before: query.cursor,
      });
      const records = await Promise.all(page.jobIds.map((jobId) => store.get(jobId)));
      const data = records
        .filter(
          (record) => record !== null && record.tenant === tenant && record.status === 'failed',
        )
        .map((record) => toJobView(readableRecord(response, record as NonNullable<typeof record>)));
      response.json({
        object: 'list',
        data,
        has_more: page.nextCursor !== undefined,
        ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}),
      });
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/jobs/:id/retry')
    .post(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const jobId = request.params.id;
      const tenant = response.locals.tenant as string;
      if (typeof jobId !== 'string' || !jobIdPattern.test(jobId)) throw jobNotFound();
      const updated = await retryFailedJob({ store, queue, submitter }, tenant, jobId);
      response
        .status(202)
        .json(
          updated
            ? toJobView(readableRecord(response, updated))
            : { id: jobId, object: 'job', status: 'queued' },
        );
    })
    .all(methodNotAllowed(['POST']));

  return router;
}
