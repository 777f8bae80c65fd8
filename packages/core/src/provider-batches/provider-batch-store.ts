import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../redis/redis-keys';

/**
 * Where a provider batch stands in llmq: `pending` (planned at ingest, not yet submitted),
 * `submitted` (the provider holds it; polled), `ended` (every line was mapped back once).
 */
export const providerBatchStatusSchema = z.enum(['pending', 'submitted', 'ended']);
export type ProviderBatchStatus = z.infer<typeof providerBatchStatusSchema>;

/** Why llmq cancelled a provider batch: its deadline, or its llmq batch stopped. */
export const providerBatchCancelReasonSchema = z.enum(['deadline', 'stopped']);
export type ProviderBatchCancelReason = z.infer<typeof providerBatchCancelReasonSchema>;

/** One provider batch llmq submits for lines of one of its batches. */
export interface ProviderBatchRecord {
  /** llmq's id: `<batch id>-pb<n>`. */
  id: string;
  /** The llmq batch whose lines it holds. */
  batchId: string;
  tenant: string;
  /** Provider account id. */
  provider: string;
  /** Catalog model id of its lines. */
  model: string;
  upstreamModel: string;
  status: ProviderBatchStatus;
  /** The provider's id for it, once submitted. */
  providerBatchId?: string;
  /** When its lines must be complete, epoch ms. */
  completeBy: number;
  createdAt: number;
  submittedAt?: number;
  endedAt?: number;
  /** How many lines it holds. */
  lines: number;
  cancelReason?: ProviderBatchCancelReason;
}

export type NewProviderBatchRecord = Pick<
  ProviderBatchRecord,
  'id' | 'batchId' | 'tenant' | 'provider' | 'model' | 'upstreamModel' | 'completeBy' | 'createdAt'
>;

export interface ProviderBatchStoreOptions {
  /** How long a record and its lines stay, seconds (the batch's, env `FILE_TTL_SECONDS`). */
  ttlSeconds: number;
}

/** Lines per RPUSH when a provider batch's lines are written. */
const pushChunk = 1000;

/**
 * Provider batch records in Redis: a hash per provider batch and the list of its lines' job
 * data (batch lines, as `batchLineJobDataSchema` reads them), so a worker that restarts resumes every provider batch from Redis alone.
 */
export class ProviderBatchStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: ProviderBatchStoreOptions,
  ) {}

  /**
   * Records a planned provider batch with its lines. A retried ingest writes the same record
   * again, unless it was already submitted (then it changes nothing). Returns false then.
   */
  async create(record: NewProviderBatchRecord, lines: readonly object[]): Promise<boolean> {
    const key = this.keys.providerBatch(record.id);
    const status = await this.redis.hget(key, 'status');
    if (status !== null && status !== 'pending') return false;
    const linesKey = this.keys.providerBatchLines(record.id);
    const multi = this.redis.multi().del(linesKey);
    for (let start = 0; start < lines.length; start += pushChunk) {
      const chunk = lines.slice(start, start + pushChunk).map((line) => JSON.stringify(line));
      multi.rpush(linesKey, ...chunk);
    }
    await multi
      .hset(key, {
        id: record.id,
        batch_id: record.batchId,
        tenant: record.tenant,
        provider: record.provider,
        model: record.model,
        upstream_model: record.upstreamModel,
        status: 'pending',
        complete_by: record.completeBy,
        created_at: record.createdAt,
        lines: lines.length,
      })
      .expire(key, this.options.ttlSeconds)
      .expire(linesKey, this.options.ttlSeconds)
      .exec();
    return true;
  }

  async get(id: string): Promise<ProviderBatchRecord | undefined> {
    const fields = await this.redis.hgetall(this.keys.providerBatch(id));
    return fields.id ? parseRecord(fields) : undefined;
  }

  /**
   * The job data of the lines it holds, in order, each read by `parse` (the batch line schema:
   * batches/ owns it, and depends on this folder).
   */
  async lines<Line>(id: string, parse: (value: unknown) => Line): Promise<Line[]> {
    const texts = await this.redis.lrange(this.keys.providerBatchLines(id), 0, -1);
    return texts.map((text) => parse(JSON.parse(text)));
  }

  /** The provider accepted it under `providerBatchId`. */
  async markSubmitted(id: string, providerBatchId: string, now = Date.now()): Promise<void> {
    await this.redis.hset(this.keys.providerBatch(id), {
      status: 'submitted',
      provider_batch_id: providerBatchId,
      submitted_at: now,
    });
  }

  /** llmq asked the provider to cancel it (first reason kept). */
  async markCancelled(id: string, reason: ProviderBatchCancelReason): Promise<void> {
    await this.redis.hsetnx(this.keys.providerBatch(id), 'cancel_reason', reason);
  }

  /** Every line was mapped back: nothing is left to poll; its lines list is dropped. */
  async markEnded(id: string, now = Date.now()): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.providerBatch(id), { status: 'ended', ended_at: now })
      .del(this.keys.providerBatchLines(id))
      .exec();
  }
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}

function parseRecord(fields: Record<string, string>): ProviderBatchRecord {
  return {
    id: fields.id ?? '',
    batchId: fields.batch_id ?? '',
    tenant: fields.tenant ?? '',
    provider: fields.provider ?? '',
    model: fields.model ?? '',
    upstreamModel: fields.upstream_model ?? '',
    status: providerBatchStatusSchema.parse(fields.status),
    ...(fields.provider_batch_id ? { providerBatchId: fields.provider_batch_id } : {}),
    completeBy: Number(fields.complete_by ?? 0),
    createdAt: Number(fields.created_at ?? 0),
    submittedAt: optionalNumber(fields.submitted_at),
    endedAt: optionalNumber(fields.ended_at),
    lines: Number(fields.lines ?? 0),
    ...(fields.cancel_reason
      ? { cancelReason: providerBatchCancelReasonSchema.parse(fields.cancel_reason) }
      : {}),
  };
}
