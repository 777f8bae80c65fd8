import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { FilterFinding } from '../filters/content-filter';
import type { ModelCatalog } from '../routing/model-catalog';
import { type IdempotencyStore, sha256 } from './idempotency-store';
import { jobCatalog, type PromptJobData } from './job-catalog';
import type { JobRecord } from './job-record';
import { type JobRequest, normalizeJobRequest } from './job-request';
import type { JobStore } from './job-store';
import { SubmitError } from './submit-error';

export interface SubmitOptions {
  tenant: string;
  request: JobRequest;
  /** The client's `Idempotency-Key` header, if any. */
  idempotencyKey?: string;
  /** What the input filter found; recorded on the job. */
  inputFindings?: FilterFinding[];
}

export type SubmitOutcome =
  | { created: true; jobId: string; status: 'queued' }
  | { created: false; jobId: string; record: JobRecord | null };

export interface JobSubmitterOptions {
  queue: Queue;
  store: JobStore;
  idempotency: IdempotencyStore;
  catalog: ModelCatalog;
  /** Model used when a request names none (env `DEFAULT_MODEL`). */
  defaultModel: string;
  /** Job attempts (env `JOB_ATTEMPTS`, default 3). */
  attempts: number;
}

/** Turns a validated request into a queued job: record first, then the BullMQ job. */
export class JobSubmitter {
  constructor(private readonly options: JobSubmitterOptions) {}

  async submit({
    tenant,
    request,
    idempotencyKey,
    inputFindings,
  }: SubmitOptions): Promise<SubmitOutcome> {
    const requestedModel = request.model ?? this.options.defaultModel;
    const model = this.options.catalog.resolve(requestedModel);
    if (!model) {
      throw new SubmitError('unknown_model', `model "${requestedModel}" is not in the catalog`, {
        available: this.options.catalog.list().map((entry) => entry.id),
      });
    }
    const jobId = `job_${randomUUID().replace(/-/g, '')}`;

    if (idempotencyKey !== undefined) {
      const claim = await this.options.idempotency.reserve(
        tenant,
        idempotencyKey,
        sha256(canonicalJson(request)),
        jobId,
      );
      if (claim.outcome === 'conflict') {
        throw new SubmitError(
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

    const createdAt = Date.now();
    const data: PromptJobData = {
      jobId,
      tenant,
      model: model.id,
      request: normalizeJobRequest(request),
      createdAt,
    };
    try {
      await this.options.store.create({
        id: jobId,
        tenant,
        model: model.id,
        priority: request.priority,
        createdAt,
        metadata: request.metadata,
        inputFindings,
      });
      await this.options.queue.add('prompt', data, {
        ...jobCatalog.prompt.defaultOptions,
        attempts: this.options.attempts,
        jobId,
        priority: request.priority,
      });
    } catch (error) {
      // Nothing was accepted: leave no orphan record or idempotency claim behind.
      await Promise.allSettled([
        this.options.store.remove(jobId),
        idempotencyKey === undefined
          ? Promise.resolve()
          : this.options.idempotency.release(tenant, idempotencyKey),
      ]);
      throw error;
    }
    return { created: true, jobId, status: 'queued' };
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
