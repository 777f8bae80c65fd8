import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { requestedServiceTierSchema } from '../catalog/service-tier';
import { ClientError } from '../errors/client-error';
import type { FileStorage } from '../files/file-storage';
import { completeBySchema, deadlineOf } from '../tiers/work-deadline';
import { queueAcceptedBatch } from './batch-accept';
import { BatchAcceptRepair, type BatchRepairOutcome } from './batch-accept-repair';
import type { BatchLimits } from './batch-limits';
import {
  type BatchRecord,
  openaiBatchEndpointSchema,
  parseCompletionWindow,
  supportedBatchEndpoints,
} from './batch-record';
import type { BatchStore } from './batch-store';

/** Body of `POST /v1/batches`, as OpenAI defines it. */
export const createBatchRequestSchema = z
  .object({
    input_file_id: z.string().min(1).max(200),
    endpoint: openaiBatchEndpointSchema,
    /** OpenAI accepts only `24h`; llmq also takes other windows up to 168h (`30m`, `2h`). */
    completion_window: z.string().min(1).max(16),
    metadata: z
      .record(z.string().min(1).max(64), z.string().max(512))
      .refine((value) => Object.keys(value).length <= 16, { message: 'at most 16 metadata keys' })
      .nullable()
      .optional(),
    /**
     * llmq: when the batch must be complete, an RFC 3339 date-time or unix seconds, within
     * `completion_window`. The batch expires then, and its lines run on the cheapest tier
     * expected to meet it.
     */
    complete_by: completeBySchema.optional(),
    /**
     * llmq: pins the tier of every chat line (`standard`, `flex`, `batch`: the provider's batch
     * API); default `auto`. A line whose model lacks the pinned tier runs standard.
     */
    service_tier: requestedServiceTierSchema.optional(),
  })
  .strict();
export type CreateBatchRequest = z.infer<typeof createBatchRequestSchema>;

export interface BatchServiceOptions {
  store: BatchStore;
  files: FileStorage;
  /** The `batch-control` queue (ingest, finalise, expire jobs). */
  controlQueue: Queue;
  limits: BatchLimits;
}

export function newId(prefix: string): string {
  return `${prefix}${randomUUID().replace(/-/g, '')}`;
}

/** Creates and cancels batches for the API; the work itself happens in workers. */
export class BatchService {
  private readonly repair: BatchAcceptRepair;

  constructor(private readonly options: BatchServiceOptions) {
    this.repair = new BatchAcceptRepair(options.store.pending, options.controlQueue);
  }

  /**
   * Records a batch in `validating` and queues its ingest and its expiry. `batchId` is given
   * when an Idempotency-Key reserved the id first. Once the record is written, the batch runs
   * even when this throws (a Redis error before its jobs were queued): see `batch-accept.ts`.
   */
  async create(
    tenant: string,
    request: CreateBatchRequest,
    { batchId = newId('batch_') }: { batchId?: string } = {},
  ): Promise<BatchRecord> {
    const { store, files, controlQueue, limits } = this.options;
    if (!supportedBatchEndpoints.includes(request.endpoint)) {
      throw new ClientError(
        'unsupported_endpoint',
        `endpoint "${request.endpoint}" is not supported yet; use ${supportedBatchEndpoints.join(', ')}`,
        { supported: supportedBatchEndpoints },
      );
    }
    const windowSeconds = parseCompletionWindow(request.completion_window);
    if (windowSeconds === undefined) {
      throw new ClientError(
        'invalid_completion_window',
        'completion_window must be a duration such as "24h" (at most 168h)',
      );
    }
    const createdAt = Date.now();
    const windowEnd = createdAt + windowSeconds * 1000;
    const completeBy = deadlineOf({ complete_by: request.complete_by }, createdAt);
    if (completeBy !== undefined && (completeBy <= createdAt || completeBy > windowEnd)) {
      throw new ClientError(
        'invalid_completion_window',
        'complete_by must be in the future and within completion_window',
      );
    }
    const file = await files.get(request.input_file_id);
    if (!file || file.tenant !== tenant)
      throw new ClientError('file_not_found', `no such file "${request.input_file_id}"`);
    if (file.purpose !== 'batch')
      throw new ClientError('invalid_file', 'the input file must have purpose "batch"');
    if (file.lines > limits.maxLines) {
      throw new ClientError(
        'too_many_lines',
        `the input file has ${file.lines} lines; the limit is ${limits.maxLines}`,
      );
    }

    await store.create({
      id: batchId,
      tenant,
      endpoint: request.endpoint,
      inputFileId: file.id,
      completionWindow: request.completion_window,
      metadata: request.metadata ?? undefined,
      createdAt,
      expiresAt: completeBy ?? windowEnd,
      ...(request.service_tier !== undefined
        ? { serviceTier: request.service_tier }
        : completeBy !== undefined
          ? { serviceTier: 'auto' as const }
          : {}),
      reservedOutputFileId: newId('file-'),
      reservedErrorFileId: newId('file-'),
    });
    // The answer is the batch as created (`validating`, as OpenAI answers a create): read
    // before its ingest is queued, which a fast worker may start at once.
    const record = await store.get(batchId);
    if (!record) throw new Error(`batch ${batchId} vanished right after creation`);
    await queueAcceptedBatch(
      controlQueue,
      store.pending,
      batchId,
      (completeBy ?? windowEnd) - createdAt,
    );
    return record;
  }

  /**
   * Queues again the jobs of a batch whose create died, or failed on Redis, before queueing
   * them (see `BatchAcceptRepair`): called by an Idempotency-Key replay before it answers.
   */
  ensureQueued(batchId: string): Promise<BatchRepairOutcome> {
    return this.repair.ensureQueued(batchId);
  }

  /** Starts cancelling: lines not yet started end as cancelled, finished ones stay in the output. */
  async cancel(tenant: string, batchId: string): Promise<BatchRecord> {
    const outcome = await this.options.store.cancel(batchId, tenant);
    if (outcome.outcome === 'missing') throw new ClientError('batch_not_found', 'no such batch');
    if (outcome.outcome === 'not_cancellable') {
      throw new ClientError(
        'batch_not_cancellable',
        `the batch is ${outcome.status}; only validating or in-progress batches can be cancelled`,
        { status: outcome.status },
      );
    }
    const record = await this.options.store.get(batchId);
    if (!record) throw new ClientError('batch_not_found', 'no such batch');
    return record;
  }
}
