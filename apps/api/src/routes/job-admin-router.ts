import {
  type AuditLog,
  filterInputFromQuery,
  isClientError,
  type JobFilter,
  type JobRecord,
  type JobStore,
  type JobSubmitter,
  jobFilterSchema,
  toJobFilter,
  toJobView,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import { auditSuccess } from '../http/audit-success';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';
import { readableRecord } from './job-requests';
import { jobListQuerySchema } from './jobs-router';
import { retryFailedJob } from './retry-failed-job';

export interface JobAdminRouterOptions {
  store: JobStore;
  /** The standard lane's queue (failed async jobs are retried from it). */
  queue: Queue;
  /** The interactive lane's queue (a cancelled sync job's entry is removed from it). */
  interactiveQueue?: Queue;
  submitter?: JobSubmitter;
  auditLog: AuditLog;
  requireScope: RequireScope;
}

const tenantSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64)');

/** The most jobs one bulk call acts on; a larger set takes several calls. */
export const maxBulkJobs = 10_000;

/** Body of the bulk routes: the explorer's filter and how many jobs at most. */
export const bulkJobsSchema = z
  .object({
    filter: jobFilterSchema.default({}),
    /** The most jobs this call acts on (default 1,000, at most 10,000), newest first. */
    max_jobs: z.number().int().min(1).max(maxBulkJobs).default(1000),
  })
  .strict();

/** The admin list has the tenant's filters and pages, but never shows prompts. */
export const adminListQuerySchema = jobListQuerySchema.omit({ include: true });

/** What one bulk action did to one job: done, or the code of why it was skipped. */
type BulkOutcome = 'done' | string;

/**
 * The job explorer for operators, per tenant: `GET /v1/admin/tenants/:tenant/jobs`
 * (`admin:read`; statuses, metadata and results, never prompts), and bulk cancel and bulk
 * retry by the same filters (`admin`), each call audited once with its filter and counts.
 */
export function jobAdminRouter(options: JobAdminRouterOptions): Router {
  const { store, auditLog, requireScope } = options;
  const router = Router();

  router
    .route('/v1/admin/tenants/:tenant/jobs')
    .get(requireScope('admin:read'), async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      const { limit, cursor, ...filter } = adminListQuerySchema.parse(request.query);
      const page = await store.explorer.page(
        tenant,
        toJobFilter(jobFilterSchema.parse(filterInputFromQuery(filter))),
        { limit, ...(cursor ? { cursor } : {}) },
      );
      response.json({
        object: 'list',
        tenant,
        data: page.records.map((record) => toJobView(readableRecord(response, record))),
        has_more: page.nextCursor !== undefined,
        next_cursor: page.nextCursor ?? null,
      });
    })
    .all(methodNotAllowed(['GET']));

  const handle =
    (
      action: 'cancel' | 'retry',
      act: (tenant: string, record: JobRecord) => Promise<BulkOutcome>,
    ) =>
    async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      const body = bulkJobsSchema.parse(request.body);
      const filter: JobFilter = toJobFilter(body.filter);
      let matched = 0;
      let done = 0;
      const skipped: Record<string, number> = {};
      for await (const record of store.explorer.matching(tenant, filter, body.max_jobs)) {
        matched += 1;
        const outcome = await act(tenant, record);
        if (outcome === 'done') done += 1;
        else skipped[outcome] = (skipped[outcome] ?? 0) + 1;
      }
      const summary = { matched, [action === 'cancel' ? 'cancelled' : 'retried']: done, skipped };
      await auditSuccess(auditLog, request, response, {
        action: `jobs-bulk-${action}`,
        tenant,
        target: tenant,
        details: { filter: body.filter, max_jobs: body.max_jobs, ...summary },
      });
      response.json({ object: 'bulk_result', action, tenant, ...summary });
    };

  router
    .route('/v1/admin/tenants/:tenant/jobs/cancel')
    .post(
      requireScope('admin'),
      requireJsonBody,
      handle('cancel', async (tenant, record) => {
        const outcome = await store.cancel(record.id, tenant);
        if (outcome.outcome === 'missing') return 'job_not_found';
        if (outcome.outcome === 'not_cancellable') return `not_cancellable_${outcome.status}`;
        const queue = record.lane === 'interactive' ? options.interactiveQueue : options.queue;
        // The record says cancelled, so a worker that races this skips the job.
        await queue?.remove(record.id).catch(() => 0);
        return 'done';
      }),
    )
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/admin/tenants/:tenant/jobs/retry')
    .post(
      requireScope('admin'),
      requireJsonBody,
      handle('retry', async (tenant, record) => {
        try {
          await retryFailedJob(options, tenant, record.id);
          return 'done';
        } catch (error) {
          // Not retryable (not failed, queue entry expired) or over budget: counted, not fatal.
          if (isClientError(error)) return error.code;
          throw error;
        }
      }),
    )
    .all(methodNotAllowed(['POST']));

  return router;
}
