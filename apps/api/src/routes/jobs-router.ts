import {
  ClientError,
  type FilterPolicyStore,
  filterInputFromQuery,
  type JobRecord,
  type JobStore,
  type JobSubmitter,
  jobFilterQueryShape,
  jobFilterSchema,
  jobLinks,
  jobRequestSchema,
  type LaneThroughput,
  type QueuePosition,
  queuePositionOf,
  screenJobRequest,
  toJobFilter,
  toJobView,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import { type Request, type Response, Router } from 'express';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import { cacheModeFromHeaders } from '../http/cache-control';
import { readIdempotencyKey } from '../http/idempotency-key';
import { sendJson } from '../http/json-answer';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';
import { submissionContext } from '../observability/request-telemetry';
import { readableRecord, readJobRequests, requireContentScope } from './job-requests';

export interface JobsRouterOptions {
  submitter: JobSubmitter;
  store: JobStore;
  queue: Queue;
  /** The interactive lane's queue, where sync jobs' requests are read for `include=request`. */
  interactiveQueue?: Queue;
  filterPolicies: FilterPolicyStore;
  requireScope: RequireScope;
  /** Where a queued job's wait estimate comes from; absent, `GET /v1/jobs/:id` has no `queue`. */
  throughput?: LaneThroughput;
  redis?: Redis;
}

export const jobIdPattern = /^job_[0-9a-f]{32}$/;

/** `GET /v1/jobs`: the filter, a page, and whether to show each job's request. */
export const jobListQuerySchema = z
  .object({
    ...jobFilterQueryShape,
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z
      .string()
      .regex(/^\d{1,17}$/, 'a next_cursor of a previous page')
      .optional(),
    include: z.literal('request').optional(),
  })
  .strict();

const jobQuerySchema = z.object({ include: z.literal('request').optional() }).strict();

/**
 * `POST /v1/jobs`, `GET /v1/jobs` (the job explorer: filtered, paged, newest first),
 * `GET /v1/jobs/:id`, `DELETE /v1/jobs/:id`. Prompts are shown only with `include=request`
 * and the `jobs:content` scope; so is a provider's error text (see `readableRecord`).
 */
export function jobsRouter({
  submitter,
  store,
  queue,
  interactiveQueue,
  filterPolicies,
  requireScope,
  throughput,
  redis,
}: JobsRouterOptions): Router {
  const router = Router();
  /** A queued job's place in its lane and the wait estimate (see `queuePositionOf`). */
  const positionOf = async (record: JobRecord): Promise<QueuePosition | undefined> => {
    const laneQueue = record.lane === 'interactive' ? interactiveQueue : queue;
    if (!throughput || !redis || !laneQueue) return undefined;
    return queuePositionOf(redis, laneQueue, throughput, record.id);
  };
  const requestQueues = {
    standard: queue,
    ...(interactiveQueue ? { interactive: interactiveQueue } : {}),
  };

  router
    .route('/v1/jobs')
    .post(
      requireScope('jobs:write'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        const body = jobRequestSchema.parse(request.body);
        // Set on the parsed copy: on Node 20 a key added to a spread's copy costs 1–5 µs.
        body.cache ??= cacheModeFromHeaders(request);
        const idempotencyKey = readIdempotencyKey(request);
        const tenant = tenantOf(response);
        const screened = screenJobRequest(body, await filterPolicies.policyFor(tenant));
        const outcome = await submitter.submit({
          tenant,
          request: screened.request,
          chat: screened.chat,
          idempotencyKey,
          inputFindings: screened.findings,
          ...submissionContext(response),
          stream: body.stream,
        });
        response.locals.jobId = outcome.jobId;
        response.setHeader('Location', jobLinks(outcome.jobId).self);
        if (outcome.created) {
          sendJson(response, 202, {
            id: outcome.jobId,
            object: 'job',
            status: 'queued',
            links: jobLinks(outcome.jobId),
          });
          return;
        }
        response.setHeader('Idempotent-Replayed', 'true');
        sendJson(
          response,
          202,
          outcome.record
            ? toJobView(readableRecord(response, outcome.record))
            : {
                id: outcome.jobId,
                object: 'job',
                status: 'queued',
                links: jobLinks(outcome.jobId),
              },
        );
      },
    )
    .get(requireScope('jobs:read'), async (request: Request, response: Response) => {
      const query = jobListQuerySchema.parse(request.query);
      if (query.include) requireContentScope(response);
      const { limit, cursor, include, ...filter } = query;
      const page = await store.explorer.page(
        tenantOf(response),
        toJobFilter(jobFilterSchema.parse(filterInputFromQuery(filter))),
        { limit, ...(cursor ? { cursor } : {}) },
      );
      const requests = include ? await readJobRequests(requestQueues, page.records) : undefined;
      response.json({
        object: 'list',
        data: page.records.map((record) => ({
          ...toJobView(readableRecord(response, record)),
          ...(requests ? { request: requests.get(record.id) ?? null } : {}),
        })),
        has_more: page.nextCursor !== undefined,
        next_cursor: page.nextCursor ?? null,
      });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/v1/jobs/:id')
    .get(requireScope('jobs:read'), async (request: Request, response: Response) => {
      const query = jobQuerySchema.parse(request.query);
      if (query.include) requireContentScope(response);
      const record = await store.get(validJobId(request));
      if (!record || record.tenant !== tenantOf(response)) throw jobNotFound();
      const [requests, position] = await Promise.all([
        query.include ? readJobRequests(requestQueues, [record]) : undefined,
        record.status === 'queued' ? positionOf(record) : undefined,
      ]);
      response.json({
        ...toJobView(readableRecord(response, record)),
        ...(position ? { queue: position } : {}),
        ...(requests ? { request: requests.get(record.id) ?? null } : {}),
      });
    })
    .delete(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const jobId = validJobId(request);
      const cancel = await store.cancel(jobId, tenantOf(response));
      if (cancel.outcome === 'missing') throw jobNotFound();
      if (cancel.outcome === 'not_cancellable') {
        throw new ClientError(
          'job_not_cancellable',
          `the job is ${cancel.status}; only queued jobs (and speculative jobs whose upgrade is pending) can be cancelled`,
          {
            status: cancel.status,
          },
        );
      }
      // The record already says cancelled, so a worker that races us skips the job; removing
      // the queue entry just frees it sooner (it fails harmlessly if a worker holds the lock).
      await queue.remove(jobId).catch(() => 0);
      const record = await store.get(jobId);
      response.json(
        record
          ? toJobView(readableRecord(response, record))
          : { id: jobId, object: 'job', status: 'cancelled' },
      );
    })
    .all(methodNotAllowed(['GET', 'DELETE']));

  return router;
}

function tenantOf(response: Response): string {
  return response.locals.tenant as string;
}

function validJobId(request: Request): string {
  const id = request.params.id;
  if (typeof id !== 'string' || !jobIdPattern.test(id)) throw jobNotFound();
  return id;
}

function jobNotFound(): ClientError {
  return new ClientError('job_not_found', 'no such job');
}
