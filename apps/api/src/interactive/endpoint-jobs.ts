import { randomUUID } from 'node:crypto';
import {
  type BudgetStore,
  ClientError,
  canonicalJson,
  type EndpointJobData,
  endpointLineCostNanoUsd,
  fromNanoUsd,
  IdempotencyStore,
  type JobStore,
  jobCatalog,
  type ModelCatalog,
  type RedisKeys,
  sha256,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** A sync embeddings or completions request, as its job will carry it. */
export type EndpointJobRequest =
  | Pick<Extract<EndpointJobData, { endpoint: '/v1/embeddings' }>, 'endpoint' | 'embedding'>
  | Pick<Extract<EndpointJobData, { endpoint: '/v1/completions' }>, 'endpoint' | 'completion'>;

export interface EndpointJobsOptions {
  redis: Redis;
  keys: RedisKeys;
  store: JobStore;
  /** The interactive lane's queue: these jobs run beside sync chat. */
  interactiveQueue: Queue;
  catalog: ModelCatalog;
  /** Tenants' budgets: a request reserves its worst-case cost, as a chat submit does. */
  budgets?: BudgetStore;
}

/** Priority of sync requests in the interactive lane (as sync chat). */
const syncPriority = 5;

/**
 * Queues sync `POST /v1/embeddings` and `POST /v1/completions` requests as jobs of the
 * interactive lane (`interactiveEndpoint`): a job record in the job store first (so the job
 * can be polled, listed by `GET /v1/jobs`, cancelled, and its result, event and webhook come
 * from the worker's one final transition), then the BullMQ job. An `Idempotency-Key` maps to the job, so a retry with the
 * same key and body follows the first request's job instead of running it again.
 */
export class EndpointJobs {
  private readonly idempotency: IdempotencyStore;

  constructor(private readonly options: EndpointJobsOptions) {
    this.idempotency = new IdempotencyStore(options.redis, options.keys);
  }

  async submit(
    tenant: string,
    model: string,
    request: EndpointJobRequest,
    context: { requestId?: string; idempotencyKey?: string; body: unknown },
  ): Promise<{ jobId: string; model: string; provider: string }> {
    const entry = this.options.catalog.resolve(model);
    const endpoint = request.endpoint === '/v1/embeddings' ? 'embeddings' : 'completions';
    if (!entry) throw new ClientError('model_not_found', `model "${model}" does not exist`);
    const reason = this.options.catalog.unavailability(entry, endpoint);
    if (reason) {
      throw new ClientError(
        'model_unavailable',
        `model "${entry.id}" cannot serve ${request.endpoint} here (${reason.replace(/_/g, ' ')})`,
        { model: entry.id, reason },
      );
    }
    const facts = { model: entry.id, provider: entry.provider };
    const jobId = `job_${randomUUID().replace(/-/g, '')}`;
    const { idempotencyKey } = context;
    if (idempotencyKey !== undefined) {
      const claim = await this.idempotency.claim(
        tenant,
        idempotencyKey,
        sha256(`${request.endpoint}\n${canonicalJson(context.body)}`),
        jobId,
        { pending: true },
      );
      if (claim.outcome === 'existing') return { jobId: claim.resourceId, ...facts };
      if (claim.outcome === 'conflict') {
        throw new ClientError(
          'idempotency_key_reused',
          'this Idempotency-Key was already used with a different request body',
          { job_id: claim.resourceId },
        );
      }
      if (claim.outcome === 'in_progress') {
        throw new ClientError(
          'idempotency_request_in_progress',
          'another request with this Idempotency-Key is still being accepted; retry shortly',
        );
      }
    }
    try {
      await this.reserveBudget(tenant, jobId, entry.id, request);
      try {
        await this.enqueue(tenant, jobId, entry.id, request, context.requestId);
      } catch (error) {
        await this.options.budgets?.release(tenant, jobId).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (idempotencyKey !== undefined)
        await this.idempotency.release(tenant, idempotencyKey, jobId).catch(() => undefined);
      throw error;
    }
    if (idempotencyKey !== undefined)
      await this.idempotency.complete(tenant, idempotencyKey, jobId);
    return { jobId, ...facts };
  }

  /**
   * Reserves the request's worst-case cost (its input tokens, and for completions `max_tokens`
   * per prompt; see `endpointLineCostNanoUsd`); the worker's ledger write releases it.
   */
  private async reserveBudget(
    tenant: string,
    jobId: string,
    model: string,
    request: EndpointJobRequest,
  ): Promise<void> {
    const budgets = this.options.budgets;
    if (!budgets || !(await budgets.mayApply(tenant))) return;
    const estimate = endpointLineCostNanoUsd(this.options.catalog, model, request);
    const outcome = await budgets.reserve(tenant, jobId, estimate);
    if (outcome.ok) return;
    throw new ClientError(
      'budget_exceeded',
      `this request (estimated at most $${fromNanoUsd(estimate)}) would exceed the tenant's ${outcome.period} budget`,
      {
        period: outcome.period,
        limit_usd: fromNanoUsd(outcome.limitNanoUsd),
        spent_usd: fromNanoUsd(outcome.spentNanoUsd),
        reserved_usd: fromNanoUsd(outcome.reservedNanoUsd),
        estimated_cost_usd: fromNanoUsd(estimate),
      },
    );
  }

  private async enqueue(
    tenant: string,
    jobId: string,
    model: string,
    request: EndpointJobRequest,
    requestId: string | undefined,
  ): Promise<void> {
    const createdAt = Date.now();
    const data: EndpointJobData = {
      ...request,
      jobId,
      tenant,
      model,
      createdAt,
      ...(requestId ? { requestId } : {}),
    };
    const { schema, defaultOptions } = jobCatalog.interactiveEndpoint;
    // Listed in the tenant's job index and, like every other job, sent to the tenant's
    // webhook endpoints when it ends (both decided in the record's own write).
    await this.options.store.create(
      { id: jobId, tenant, model, priority: syncPriority, createdAt, lane: 'interactive' },
      { notifyTenantEndpoints: true, index: true },
    );
    try {
      await this.options.interactiveQueue.add('interactiveEndpoint', schema.parse(data), {
        ...defaultOptions,
        jobId,
        priority: syncPriority,
      });
    } catch (error) {
      // No orphan record stays `queued` without a BullMQ job.
      await this.options.store.remove(jobId).catch(() => undefined);
      throw error;
    }
  }
}
