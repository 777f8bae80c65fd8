import { randomUUID } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
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
import type { CompanionWrite } from './companion-write';
import { sha256 } from './idempotency-store';
import type { PromptJobData } from './job-catalog';
import type { JobRecord } from './job-record';
import type { JobRequest } from './job-request';
import type { JobStore } from './job-store';
import { type PreparedJobRequest, prepareJobRequest } from './prepare-job-request';
import { type QueueAddCall, queueAddCall } from './queue-add';
import { startDeadlineOf } from './start-deadline';
import {
  addOptionsOf,
  enqueueSubmission,
  type LaneQueues,
  laneQueue,
  type Submission,
  type SubmissionAdd,
  submissionQueueAdd,
} from './submission';
import { SubmissionRepair } from './submission-repair';
import type { AcceptOutcome, JobTake, SubmissionStore } from './submission-store';

export interface SubmitOptions {
  tenant: string;
  request: JobRequest;
  /** The client's `Idempotency-Key` header, if any (scoped to the tenant). */
  idempotencyKey?: string;
  /**
   * What else the key's body hash covers besides the request (e.g. the route and whether it
   * streams), so one key sent to two routes is a conflict. Absent for `POST /v1/jobs`.
   */
  idempotencyScope?: string;
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
  /**
   * The submitting API key: its public id and its `max_running_jobs` limit, if any (the
   * worker caps the key's running jobs with it).
   */
  apiKey?: { id: string; maxRunningJobs?: number };
  /** `request` already prepared by {@link JobSubmitter.prepare}; absent, submit prepares it. */
  prepared?: PreparedJobRequest;
  /** The conversation in the neutral model (input-filtered); absent, it is read from `request`. */
  chat?: ChatRequest;
  /**
   * The whole request a sync route read, in the neutral model, before filtering: with an
   * `Idempotency-Key` on a sync route (`idempotencyScope`), it joins the body hash, since the
   * route's `request` holds only llmq's options.
   */
  conversation?: ChatRequest;
  /** The API surface with its own ids and webhook events (see `JobRecord.surface`). */
  surface?: JobRecord['surface'];
  /** A job its client may stop mid-answer though it does not stream (see `PromptJobData.stoppable`). */
  stoppable?: boolean;
  /** The channel announcing the job's end to the process that waits for it (`JobEndWatcher`). */
  endsChannel?: string;
  /**
   * A record the job must not run without (a stored response), given the new job's id: written
   * in the job's accept script, before it is queued, and only when the job is new (see
   * `CompanionWrite`). A replayed `Idempotency-Key` writes nothing.
   */
  companion?: (jobId: string) => CompanionWrite;
  /**
   * Take the new job into its lane's active list under this lock token when the lane has
   * nothing waiting, in the accept's own script (see `AcceptRequest.take`): the outcome's
   * `taken` then holds what the caller runs it from, as a worker that fetched it would. Only
   * where BullMQ's add runs inside the accept; otherwise the job is queued as without it.
   */
  take?: JobTake;
}

/** A job the accept took into its lane's active list for the submitter's caller to run. */
export interface TakenJob {
  /** The BullMQ job's name, data and options as its add wrote them. */
  name: string;
  data: PromptJobData;
  options: JobsOptions & { jobId: string; priority: number; timestamp: number };
  /** When it was taken (BullMQ's `processedOn`), epoch ms. */
  processedOn: number;
  /** The lock token it was taken under. */
  token: string;
}

export type SubmitOutcome =
  | { created: true; jobId: string; status: 'queued'; taken?: TakenJob }
  | {
      created: false;
      jobId: string;
      record: JobRecord | null;
      /** True when the job's lost queue entry was put back by this replay. */
      repaired: boolean;
    };

export interface JobSubmitterOptions {
  queue: Queue;
  /** The interactive lane's queue (`jobCatalog.interactivePrompt`), for sync and streamed requests. */
  interactiveQueue?: Queue;
  store: JobStore;
  /** Writes the record, its idempotency entry and its submission in one step. */
  submissions: SubmissionStore;
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

/**
 * Turns a validated request into a queued job: the record, its idempotency entry and its
 * BullMQ job in one script (see `submit-scripts.ts`). Where BullMQ's add cannot join that
 * script, the record and the job's submission first, then the BullMQ job: a crash between the
 * two leaves a job the client's retry or the submission sweeper enqueues again (see
 * `submission-repair.ts`).
 */
export class JobSubmitter {
  private readonly queues: LaneQueues;
  private readonly repair: SubmissionRepair;

  constructor(private readonly options: JobSubmitterOptions) {
    this.queues = {
      standard: options.queue,
      ...(options.interactiveQueue ? { interactive: options.interactiveQueue } : {}),
    };
    this.repair = new SubmissionRepair(options.submissions, this.queues);
  }

  /**
   * Converts and routes a request as {@link submit} would, storing nothing: a caller that needs
   * the route first (the sync endpoints key the exact cache on it) prepares once and passes
   * the result to `submit`.
   */
  prepare(request: JobRequest, chat?: ChatRequest): PreparedJobRequest {
    return prepareJobRequest(this.options.catalog, this.options.defaultModel, request, chat);
  }

  async submit(options: SubmitOptions): Promise<SubmitOutcome> {
    const {
      tenant,
      request,
      idempotencyKey,
      idempotencyScope,
      inputFindings,
      requestId,
      trace,
      lane = 'standard',
      stream,
    } = options;
    const queue = laneQueue(this.queues, lane);
    const prepared = options.prepared ?? this.prepare(request, options.chat);
    const {
      model,
      request: normalized,
      decision,
      hedgeModel,
      optimization,
      speculative,
    } = prepared;
    const notify = await this.webhookNotify(request);
    const jobId = `job_${randomUUID().replace(/-/g, '')}`;
    // Refused (a deadline in the past) before anything is reserved.
    const createdAt = Date.now();
    const startBy = startDeadlineOf(request, createdAt);

    // A tenant no limit can apply to (cached; see BudgetStore.mayApply) reserves nothing: its
    // submit skips this round trip.
    const reserves = !!this.options.budgets && (await this.options.budgets.mayApply(tenant));
    if (this.options.budgets && reserves) {
      await reserveJobBudget(this.options.budgets, this.options.catalog, {
        tenant,
        jobId,
        decision,
        request: normalized,
        // A speculative job's fast call bills beside its upgrade, as a hedge's second call does.
        hedgeModel: hedgeModel ?? speculative?.fast_model,
      });
    }
    const releaseBudget = async () => {
      if (reserves) await this.options.budgets?.release(tenant, jobId);
    };

    const apiKey = options.apiKey;
    const data: PromptJobData = {
      jobId,
      tenant,
      model,
      request: normalized,
      // Counted once here: the worker routes with it rather than loading the tokenizer.
      inputTokens: decision.input_tokens,
      createdAt,
      ...(requestId ? { requestId } : {}),
      ...(trace?.traceparent ? { traceparent: trace.traceparent } : {}),
      ...(trace?.tracestate ? { tracestate: trace.tracestate } : {}),
      ...(request.requirements ? { requirements: request.requirements } : {}),
      ...(request.hedge ? { hedge: request.hedge } : {}),
      ...(speculative ? { speculative } : {}),
      ...(request.fallbacks !== undefined ? { fallbacks: request.fallbacks } : {}),
      ...(prepared.tier.tier !== 'standard' ? { serviceTier: prepared.tier.tier } : {}),
      ...(prepared.tier.deadline !== undefined ? { completeBy: prepared.tier.deadline } : {}),
      ...(stream ? { stream: true } : {}),
      ...(options.stoppable ? { stoppable: true } : {}),
      ...(request.cache ? { cache: request.cache } : {}),
      ...(request.cache_options ? { cacheOptions: request.cache_options } : {}),
      ...(startBy !== undefined ? { startBy } : {}),
      ...(apiKey?.maxRunningJobs !== undefined
        ? { apiKey: { id: apiKey.id, maxRunningJobs: apiKey.maxRunningJobs } }
        : {}),
      // Nothing to release at the job's end: its final transition skips the reservation read.
      ...(reserves ? {} : { noReservation: true as const }),
    };
    const submission: Submission = {
      lane,
      data,
      attempts: this.options.attempts,
      priority: request.priority,
    };
    // The record, its idempotency entry, its BullMQ job and the caller's companion write are
    // written in one script, so a crash leaves all or none of them (see submit-scripts.ts); the
    // companion comes first, so a script that raises midway leaves no job without it; the
    // lane's fairness tag is taken
    // in the same script. Without fair priorities the job's BullMQ priority is the request's
    // priority. Where BullMQ's add cannot join the script, the submission takes its place and
    // the add follows (below): the record exists before the BullMQ job either way, so a worker
    // never runs a job without one.
    let accepted: AcceptOutcome;
    let add: SubmissionAdd | undefined;
    let enqueue: QueueAddCall | undefined;
    try {
      const fair = await this.options.fair?.assignment(queue, tenant, request.priority);
      add = submissionQueueAdd(submission);
      enqueue = await queueAddCall(queue, add.name, data, add.fixed, add);
      accepted = await this.options.submissions.accept({
        record: {
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
          ...(options.surface ? { surface: options.surface } : {}),
          lane,
          ...(startBy !== undefined ? { startBy } : {}),
          ...(options.endsChannel ? { endsChannel: options.endsChannel } : {}),
        },
        submission,
        ...(enqueue ? { enqueue } : {}),
        ...(idempotencyKey !== undefined
          ? {
              idempotency: {
                key: idempotencyKey,
                bodyHash: sha256(
                  idempotencyScope === undefined
                    ? canonicalJson(request)
                    : `${idempotencyScope}\n${canonicalJson({ request, conversation: options.conversation })}`,
                ),
              },
            }
          : {}),
        // The tenant's default endpoints are checked in the record's own write.
        notifyTenantEndpoints: this.options.webhooks !== undefined,
        ...(fair ? { fair } : {}),
        ...(options.companion ? { companion: options.companion(jobId) } : {}),
        ...(options.take ? { take: options.take } : {}),
        now: createdAt,
      });
    } catch (error) {
      await releaseBudget().catch(() => undefined);
      throw error;
    }
    if (accepted.outcome !== 'new') {
      await releaseBudget();
      if (accepted.outcome === 'conflict') {
        throw new ClientError(
          'idempotency_key_reused',
          'this Idempotency-Key was already used with a different request body',
          { job_id: accepted.jobId },
        );
      }
      return this.replay(accepted.jobId);
    }
    if (accepted.enqueued && accepted.taken && options.take && add && enqueue) {
      const taken: TakenJob = {
        name: add.name,
        data,
        options: Object.assign(
          addOptionsOf({ ...add, priority: accepted.queuePriority ?? add.priority }),
          { timestamp: enqueue.timestamp },
        ),
        processedOn: createdAt,
        token: options.take.token,
      };
      return { created: true, jobId, status: 'queued', taken };
    }
    if (accepted.enqueued) return { created: true, jobId, status: 'queued' };
    try {
      await enqueueSubmission(this.queues, submission, accepted.queuePriority);
    } catch (error) {
      // Take the submit back (all or nothing). When Redis is down this fails too: the record
      // and its submission then stay, and the sweeper or the client's retry enqueues the job.
      await Promise.allSettled([
        this.options.submissions.abandon(tenant, jobId, idempotencyKey),
        releaseBudget(),
      ]);
      throw error;
    }
    return { created: true, jobId, status: 'queued' };
  }

  /**
   * The answer to a retried submit: the job that holds the key, its queue entry put back first
   * when a crash lost it (a record still `queued` with no BullMQ job).
   */
  private async replay(jobId: string): Promise<SubmitOutcome> {
    const repaired = await this.repair.ensureQueued(jobId);
    const record = await this.options.store.get(jobId);
    return { created: false, jobId, record, repaired: repaired === 'requeued' };
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
      hedgeModel: hedge?.ok ? hedge.entry.id : data.speculative?.fast_model,
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
