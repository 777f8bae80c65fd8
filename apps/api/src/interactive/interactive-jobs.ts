import {
  type FilterPolicyStore,
  filterJobRequest,
  InputRejectedError,
  isCacheable,
  isFinalStatus,
  type JobEvent,
  type JobEventReader,
  type JobRequest,
  type JobResult,
  type JobStore,
  type JobSubmitter,
  jobLinks,
  type ModelCatalog,
  normalizeJobRequest,
  type RedisKeys,
  requestJobStop,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { ApiError } from '../http/api-error';
import type { SyncIdempotency } from '../http/idempotency-key';
import type { ResponseCache } from './response-cache';

export interface InteractiveJobsOptions {
  submitter: JobSubmitter;
  store: JobStore;
  reader: JobEventReader;
  redis: Redis;
  keys: RedisKeys;
  /** The interactive lane's queue (a cancelled job's entry is removed from it). */
  interactiveQueue: Queue;
  catalog: ModelCatalog;
  /** How long a sync or streamed request waits for its job, ms (env `SYNC_WAIT_TIMEOUT_MS`). */
  waitTimeoutMs: number;
  /** Whether a client that disconnects cancels its job (env `CANCEL_ON_DISCONNECT`). */
  cancelOnDisconnect: boolean;
  /** The exact cache, once it exists (issue 5). */
  cache?: ResponseCache;
  /** Per-tenant input filter policies: these endpoints are filtered like `POST /v1/jobs`. */
  filterPolicies?: FilterPolicyStore;
}

/** How a sync or streamed request starts: answered from the cache, or a job in the queue. */
export type InteractiveStart =
  | { kind: 'cached'; result: JobResult; model: string; provider: string }
  | { kind: 'queued'; jobId: string; model: string; provider: string };

/**
 * Runs sync and streamed requests through the interactive lane: submit a job, follow its
 * event stream (written by whichever worker runs it) until it ends, within a deadline.
 */
export class InteractiveJobs {
  constructor(private readonly options: InteractiveJobsOptions) {}

  /** Answers from the cache when it can, else submits the job to the interactive lane. */
  async start(
    tenant: string,
    jobRequest: JobRequest,
    stream: boolean,
    idempotency?: SyncIdempotency,
  ): Promise<InteractiveStart> {
    // The input filter runs before the cache and the queue, so a blocked prompt leaves no trace
    // and a redacted one reaches neither a provider nor a cache key.
    let inputFindings: ReturnType<typeof filterJobRequest>['verdict']['findings'] | undefined;
    if (this.options.filterPolicies) {
      const filtered = filterJobRequest(
        jobRequest,
        await this.options.filterPolicies.policyFor(tenant),
      );
      if (filtered.verdict.blocked) {
        throw new InputRejectedError(
          `the input filter rejected the request: ${filtered.verdict.reason ?? 'policy'}`,
          filtered.verdict.findings.filter((finding) => finding.action === 'block'),
        );
      }
      jobRequest = filtered.request;
      inputFindings = filtered.verdict.findings;
    }
    const entry = jobRequest.model ? this.options.catalog.resolve(jobRequest.model) : undefined;
    const normalized = normalizeJobRequest(jobRequest);
    const mode = jobRequest.cache ?? 'auto';
    if (entry && this.options.cache && mode !== 'refresh' && isCacheable(normalized, mode)) {
      const result = await this.options.cache.lookup({
        tenant,
        model: entry.id,
        request: normalized,
        ...(jobRequest.cache_options ? { options: jobRequest.cache_options } : {}),
      });
      if (result) return { kind: 'cached', result, model: entry.id, provider: result.provider };
    }
    const outcome = await this.options.submitter.submit({
      tenant,
      request: jobRequest,
      idempotencyKey: idempotency?.key,
      idempotencyScope: idempotency?.scope,
      lane: 'interactive',
      stream,
      ...(inputFindings ? { inputFindings } : {}),
    });
    const model = entry ?? this.options.catalog.resolve(jobRequest.model ?? '');
    return {
      kind: 'queued',
      jobId: outcome.jobId,
      model: model?.id ?? jobRequest.model ?? '',
      provider: model?.provider ?? '',
    };
  }

  /**
   * Yields the job's events until its final status. A client that disconnects ends the
   * iteration quietly and, unless it opted out, cancels the job (a queued job at once, an
   * active one by asking its worker to stop). Past the wait timeout it throws
   * `504 job_wait_timeout` carrying the job id; the job keeps running and can be polled.
   */
  async *follow(jobId: string, request: Request, response: Response): AsyncGenerator<JobEvent> {
    const disconnect = new AbortController();
    const onClose = () => {
      if (!response.writableFinished) disconnect.abort(new Error('client disconnected'));
    };
    response.on('close', onClose);
    const timeout = AbortSignal.timeout(this.options.waitTimeoutMs);
    const signal = AbortSignal.any([disconnect.signal, timeout]);
    try {
      for await (const event of this.options.reader.events(jobId, '0', signal)) yield event;
    } catch {
      if (disconnect.signal.aborted) {
        if (this.cancelsOnDisconnect(request)) await this.abandon(jobId, tenantOf(response));
        return;
      }
      if (timeout.aborted) {
        throw new ApiError(
          504,
          'job_wait_timeout',
          `the job did not finish within ${this.options.waitTimeoutMs} ms; it keeps running: poll ${jobLinks(jobId).self}`,
          { job_id: jobId, links: jobLinks(jobId) },
          // The official SDKs would otherwise retry a 504 and queue the same prompt again.
          { 'x-should-retry': 'false' },
        );
      }
      // Redis went away or the server is stopping: the job itself is safe, so say where it is.
      throw new ApiError(
        503,
        'redis_unavailable',
        `the job's events could not be read; poll ${jobLinks(jobId).self}`,
        { job_id: jobId, links: jobLinks(jobId) },
        { 'Retry-After': '1', 'x-should-retry': 'false' },
      );
    } finally {
      response.off('close', onClose);
    }
  }

  /** Cancels a job whose client left: in the store while queued, via its worker while active. */
  async abandon(jobId: string, tenant: string): Promise<void> {
    const cancel = await this.options.store.cancel(jobId, tenant);
    if (cancel.outcome === 'cancelled') {
      await this.options.interactiveQueue.remove(jobId).catch(() => 0);
    } else if (cancel.outcome === 'not_cancellable' && cancel.status === 'active') {
      await requestJobStop(this.options.redis, this.options.keys, jobId);
    }
  }

  /**
   * Follows a job to its end and returns its result, with the llmq facts only known then
   * (routed model, provider, cost) set as headers; undefined when the client left first.
   * A failed or cancelled job throws the matching API error.
   */
  async waitForResult(
    jobId: string,
    request: Request,
    response: Response,
  ): Promise<JobResult | undefined> {
    for await (const event of this.follow(jobId, request, response)) {
      if (event.name !== 'status' || !isFinalStatus(event.data.status)) continue;
      const result = event.data.result;
      if (event.data.status !== 'completed' || !result) throw jobEndError(jobId, event);
      response.setHeader('x-llmq-provider', result.provider);
      response.setHeader('x-llmq-model', result.model);
      if (result.cost_usd !== undefined)
        response.setHeader('x-llmq-cost-usd', String(result.cost_usd));
      return result;
    }
    return undefined;
  }

  /** The `x-llmq-cancel-on-disconnect: true|false` header, else the configured default. */
  private cancelsOnDisconnect(request: Request): boolean {
    const header = request.headers['x-llmq-cancel-on-disconnect'];
    if (header === 'false') return false;
    if (header === 'true') return true;
    // A client that sent an Idempotency-Key means to retry: its retry reattaches to the job.
    if (request.headers['idempotency-key'] !== undefined) return false;
    return this.options.cancelOnDisconnect;
  }
}

/**
 * The llmq facts known when an answer starts, as response headers. A non-streamed answer adds
 * the routed model and `x-llmq-cost-usd` once its result is in; a stream's headers are sent first.
 */
export function setLlmqHeaders(
  response: Response,
  facts: { jobId?: string; model: string; provider: string; cached: boolean },
): void {
  if (facts.jobId) response.setHeader('x-llmq-job-id', facts.jobId);
  response.setHeader('x-llmq-model', facts.model);
  if (facts.provider) response.setHeader('x-llmq-provider', facts.provider);
  response.setHeader('x-llmq-cached', String(facts.cached));
}

/** The error for a job that ended without a result (failed or cancelled). */
export function jobEndError(jobId: string, event: JobEvent): ApiError {
  const data = event.name === 'status' ? event.data : undefined;
  if (data?.status === 'cancelled') {
    return new ApiError(409, 'job_cancelled', 'the job was cancelled', { job_id: jobId });
  }
  return new ApiError(
    502,
    'job_failed',
    data?.error?.message ?? 'the job failed',
    { job_id: jobId, failure: data?.error },
    { 'x-should-retry': 'false' },
  );
}

export function tenantOf(response: Response): string {
  return response.locals.tenant as string;
}
