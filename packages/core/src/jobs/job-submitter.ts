import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { ModelCatalog } from '../catalog/model-catalog';
import type { BudgetStore } from '../cost/budget-store';
import { reserveJobBudget } from '../cost/submit-cost-checks';
import { ClientError } from '../errors/client-error';
import type { FilterFinding } from '../filters/content-filter';
import type { FairPriority } from '../lanes/fair-priority';
import type { ChatRequest } from '../messages/chat-request';
import { chooseHedgeModel } from '../routing/choose-hedge-model';
import { routeJob } from '../routing/route-job';
import { isWebhookUrlError } from '../webhooks/webhook-url-guard';
import { type IdempotencyStore, sha256 } from './idempotency-store';
import { jobCatalog, type PromptJobData } from './job-catalog';
import type { JobRecord } from './job-record';
import type { JobRequest } from './job-request';
import type { JobStore } from './job-store';
import { type PreparedJobRequest, prepareJobRequest } from './prepare-job-request';

export interface SubmitOptions {
  tenant: string;
  request: JobRequest;
  /** The client's `Idempotency-Key` header, if any. */
  idempotencyKey?: string;
  /** What the input filter found; recorded on the job. */
  inputFindings?: FilterFinding[];
  /** The HTTP request id, carried in the job for log correlation. */
  requestId?: string;
  /** W3C `traceparent`/`tracestate` of the submitting request, carried in the job. */
  trace?: { traceparent?: string; tracestate?: string };
  /** `interactive` for sync and streamed requests (needs `interactiveQueue`); default `standard`. */
  lane?: 'standard' | 'interactive';
  /** Ask the worker to publish token deltas to the job's event stream. */
  stream?: boolean;
  /** `request` already prepared by {@link JobSubmitter.prepare}; absent, submit prepares it. */
  prepared?: PreparedJobRequest;
  /** The conversation in the neutral model (input-filtered); absent, it is read from `request`. */
  chat?: ChatRequest;
}

export type SubmitOutcome =
  | { created: true; jobId: string; status: 'queued' }
  | { created: false; jobId: string; record: JobRecord | null };

export interface JobSubmitterOptions {
  queue: Queue;
  /** The interactive lane's queue (`jobCatalog.interactivePrompt`), for sync and streamed requests. */
  interactiveQueue?: Queue;
  store: JobStore;
  idempotency: IdempotencyStore;
  catalog: ModelCatalog;
  /** Model used when a request names none (env `DEFAULT_MODEL`). */
  defaultModel: string;
  /** Job attempts (env `JOB_ATTEMPTS`, default 3). */
  attempts: number;
  /** Webhook support; without it a request carrying `webhook` is refused. */
  webhooks?: SubmitWebhookSupport;
  /**
   * Tenant-fair BullMQ priorities within each lane (env `LANE_FAIRNESS`); absent: the BullMQ
   * priority is the request's priority.
   */
  fair?: FairPriority;
  /** Tenants' budgets: each job reserves its worst-case cost or is refused `budget_exceeded`. */
  budgets?: BudgetStore;
}

/** What the submitter needs to accept webhooks (see `webhooks/`). */
export interface SubmitWebhookSupport {
  /** Rejects (a `WebhookUrlError`) a URL the SSRF guard refuses. */
  checkUrl(url: string): Promise<unknown>;
}

/** Turns a validated request into a queued job: record first, then the BullMQ job. */
export class JobSubmitter {
  constructor(private readonly options: JobSubmitterOptions) {}

  /**
   * Converts and routes a request as {@link submit} would, storing nothing: a caller that needs
   * the route first (the sync endpoints key the exact cache on it) prepares once and passes
   * the result to `submit`.
   */
  prepare(request: JobRequest, chat?: ChatRequest): PreparedJobRequest {
    return prepareJobRequest(this.options.catalog, this.options.defaultModel, request, chat);
  }

  async submit(submission: SubmitOptions): Promise<SubmitOutcome> {
    const {
      tenant,
      request,
      idempotencyKey,
      inputFindings,
      requestId,
      trace,
      lane = 'standard',
      stream,
    } = submission;
    const interactive = lane === 'interactive';
    const queue = interactive ? this.options.interactiveQueue : this.options.queue;
    if (!queue) throw new Error('the interactive lane has no queue configured');
    const prepared = submission.prepared ?? this.prepare(request, submission.chat);
    const { model, request: normalized, decision, hedgeModel, optimization } = prepared;
    const notify = await this.webhookNotify(request);
    const jobId = `job_${randomUUID().replace(/-/g, '')}`;

    if (idempotencyKey !== undefined) {
      const claim = await this.options.idempotency.reserve(
        tenant,
        idempotencyKey,
        sha256(canonicalJson(request)),
        jobId,
      );
      if (claim.outcome === 'conflict') {
        throw new ClientError(
          'idempotency_key_reused',
          'this Idempotency-Key was already used with a different request body',
          { job_id: claim.jobId },
        );
      }
      if (claim.outcome === 'existing') {
        return {
          created: false,
          jobId: claim.jobId,
          record: await this.options.store.get(claim.jobId),
        };
      }
    }

    // A tenant no limit can apply to (cached; see BudgetStore.mayApply) reserves nothing: its
    // submit skips this round trip.
    if (this.options.budgets && (await this.options.budgets.mayApply(tenant))) {
      try {
        await reserveJobBudget(this.options.budgets, this.options.catalog, {
          tenant,
          jobId,
          decision,
          request: normalized,
          hedgeModel,
        });
      } catch (error) {
        if (idempotencyKey !== undefined)
          await this.options.idempotency.release(tenant, idempotencyKey);
        throw error;
      }
    }

    const createdAt = Date.now();
    const data: PromptJobData = {
      jobId,
      tenant,
      model,
      request: normalized,
      createdAt,
      ...(requestId ? { requestId } : {}),
      ...(trace?.traceparent ? { traceparent: trace.traceparent } : {}),
      ...(trace?.tracestate ? { tracestate: trace.tracestate } : {}),
      ...(request.requirements ? { requirements: request.requirements } : {}),
      ...(request.hedge ? { hedge: request.hedge } : {}),
      ...(request.fallbacks !== undefined ? { fallbacks: request.fallbacks } : {}),
      ...(stream ? { stream: true } : {}),
      ...(request.cache ? { cache: request.cache } : {}),
      ...(request.cache_options ? { cacheOptions: request.cache_options } : {}),
    };
    try {
      // The fairness tag is taken alongside the record write: no extra round trip in series.
      // The record exists before the BullMQ job, so a worker never runs a job without one.
      const [, queuePriority] = await Promise.all([
        this.options.store.create(
          {
            id: jobId,
            tenant,
            model,
            priority: request.priority,
            createdAt,
            metadata: request.metadata,
            inputFindings,
            webhook: request.webhook,
            notify,
            ...(optimization ? { optimization } : {}),
          },
          // The tenant's default endpoints are checked in the record's own write.
          { notifyTenantEndpoints: this.options.webhooks !== undefined },
        ),
        this.queuePriority(queue, tenant, request.priority),
      ]);
      await queue.add('prompt', data, {
        ...(interactive ? jobCatalog.interactivePrompt : jobCatalog.prompt).defaultOptions,
        attempts: this.options.attempts,
        jobId,
        priority: queuePriority,
      });
    } catch (error) {
      // Nothing was accepted: leave no orphan record or idempotency claim behind.
      await Promise.allSettled([
        this.options.store.remove(jobId),
        idempotencyKey === undefined
          ? Promise.resolve()
          : this.options.idempotency.release(tenant, idempotencyKey),
        this.options.budgets?.release(tenant, jobId),
      ]);
      throw error;
    }
    return { created: true, jobId, status: 'queued' };
  }

  /** The job's BullMQ priority: its fair tag in the lane, or the request's priority. */
  private async queuePriority(queue: Queue, tenant: string, priority: number): Promise<number> {
    const fair = this.options.fair;
    if (!fair) return priority;
    const [assigned] = await fair.assign(queue, tenant, priority);
    return assigned ?? priority;
  }

  /**
   * Reserves budget for another run of a failed job (a dead-letter retry), as a submit would;
   * refuses with `budget_exceeded`. A job that no longer routes reserves nothing: its run fails.
   */
  async reserveRerun(tenant: string, data: PromptJobData): Promise<void> {
    if (!this.options.budgets || !(await this.options.budgets.mayApply(tenant))) return;
    const route = routeJob(this.options.catalog, data);
    if (!route.ok) return;
    const hedge = data.hedge
      ? chooseHedgeModel(this.options.catalog, route.decision, {
          model: data.hedge.model,
          afterMs: data.hedge.after_ms,
        })
      : undefined;
    await reserveJobBudget(this.options.budgets, this.options.catalog, {
      tenant,
      jobId: data.jobId,
      decision: route.decision,
      request: data.request,
      hedgeModel: hedge?.ok ? hedge.entry.id : undefined,
    });
  }

  /** Releases a reservation made by {@link reserveRerun} when the rerun did not start. */
  async releaseReservation(tenant: string, jobId: string): Promise<void> {
    await this.options.budgets?.release(tenant, jobId);
  }

  /**
   * Checks the job's webhook URL; says whether the job's own webhook needs the outbox (the
   * tenant's default endpoints are checked when the record is written).
   */
  private async webhookNotify(request: JobRequest): Promise<boolean> {
    const support = this.options.webhooks;
    if (request.webhook) {
      if (!support) {
        throw new ClientError('webhook_url_not_allowed', 'webhooks are not enabled on this server');
      }
      try {
        await support.checkUrl(request.webhook.url);
      } catch (error) {
        if (!isWebhookUrlError(error)) throw error;
        throw new ClientError('webhook_url_not_allowed', error.message, {
          url: request.webhook.url,
        });
      }
      return true;
    }
    return false;
  }
}

/** JSON with object keys sorted, so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
