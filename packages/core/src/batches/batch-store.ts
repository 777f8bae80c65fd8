import type { Redis } from 'ioredis';
import { requestedServiceTierSchema } from '../catalog/service-tier';
import type { LedgerWrite } from '../cost/cost-ledger';
import type { RedisKeys } from '../redis/redis-keys';
import type { TokenCounts } from '../resilience/usage-records';
import {
  type BatchEndpoint,
  type BatchRecord,
  type BatchStatus,
  type BatchStopReason,
  type BatchValidationError,
  batchEndpointSchema,
  batchStatusSchema,
  batchStopReasonSchema,
} from './batch-record';
import {
  beginScript,
  cancelScript,
  claimFinalizeScript,
  expireScript,
  failIngestScript,
  failValidationScript,
  finishScript,
  listNotRunScript,
  recordLineScript,
  unendedStageScript,
} from './batch-store-scripts';
import { PendingBatches } from './pending-batches';

export interface BatchStoreOptions {
  /** How long a batch record stays readable, seconds (same as its files, env `FILE_TTL_SECONDS`). */
  ttlSeconds: number;
}

/** What a new batch starts with. */
export type NewBatchRecord = Pick<
  BatchRecord,
  | 'id'
  | 'tenant'
  | 'endpoint'
  | 'inputFileId'
  | 'completionWindow'
  | 'metadata'
  | 'createdAt'
  | 'expiresAt'
  | 'serviceTier'
  | 'reservedOutputFileId'
  | 'reservedErrorFileId'
> & {
  /** Requests known at creation (a Message Batch's); else counted when validation passes. */
  total?: number;
  /**
   * The requests' custom_ids in order, when known at creation (a Message Batch's): kept with
   * the record, so its results can name every request even when its input cannot be read.
   */
  customIds?: readonly string[];
};

/** custom_ids per RPUSH when a batch's are stored with it. */
const customIdsPerPush = 1000;

/** What the line record script's answer means (see `recordLineScript`). */
const recordLineResults: readonly RecordLineResult[] = [
  'duplicate',
  'recorded',
  'last',
  'billed',
  'rebilled',
];

/** Statuses a batch passes through before its final one; `llm_batches` reports these. */
export const liveBatchStatuses = ['validating', 'in_progress', 'finalizing', 'cancelling'] as const;
export type LiveBatchStatus = (typeof liveBatchStatuses)[number];

/** How a batch line ended. `skipped`: never run, because the batch was cancelled or expired. */
export type BatchLineOutcome = 'completed' | 'failed' | 'skipped';

/**
 * What recording a line did: `duplicate` when it had already been recorded (a retried or
 * recovered job) or its batch had ended, `last` when it was the batch's last line and the
 * caller must finalise, `billed` when it was not recorded (its batch's ingest gave up while
 * its call was under way: recorded as not run then) but its calls were billed, `rebilled` when
 * it had been recorded before and this run's own calls (a re-run's) were billed.
 */
export type RecordLineResult = 'recorded' | 'duplicate' | 'last' | 'billed' | 'rebilled';

/** What giving up a batch's ingest did (see {@link BatchStore.failIngest}). */
export type IngestFailure =
  | { outcome: 'failed' | 'cancelled' }
  | { outcome: 'finalize'; notRun: number; stopReason: BatchStopReason }
  | { outcome: 'ended' };

/**
 * What a listed unended batch's end waits on (see {@link BatchStore.unendedStage}): its claimed
 * finalisation, its ingest, or nothing any more (`settled`: ended, gone, or its lines decide).
 */
export type UnendedStage = 'finalize' | 'ingest' | 'settled';

/** What an expiry did (see {@link BatchStore.expire}). */
export type BatchExpiry = 'stopping' | 'finalize' | 'ended';

export type BatchCancelOutcome =
  | { outcome: 'cancelling' }
  | { outcome: 'missing' }
  | { outcome: 'not_cancellable'; status: BatchStatus };

/** Batch records in Redis hashes, with their transitions as atomic scripts. */
export class BatchStore {
  /** Batches whose ingest and expiry jobs are not known to be queued (see {@link create}). */
  readonly pending: PendingBatches;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: BatchStoreOptions,
  ) {
    this.pending = new PendingBatches(redis, keys);
  }

  /**
   * Writes a new batch in `validating`, listed as pending ({@link pending}) in the same
   * transaction: until its ingest and expiry jobs are known to be queued, a crash or a Redis
   * error can lose them, and the pending entry is what queues them again.
   */
  async create(batch: NewBatchRecord): Promise<void> {
    const key = this.keys.batch(batch.id);
    const listKey = this.listKeyOf(batch);
    const fields: Record<string, string | number> = {
      id: batch.id,
      tenant: batch.tenant,
      endpoint: batch.endpoint,
      input_file_id: batch.inputFileId,
      completion_window: batch.completionWindow,
      status: 'validating',
      created_at: batch.createdAt,
      expires_at: batch.expiresAt,
      completed: 0,
      failed: 0,
      skipped: 0,
      input_tokens: 0,
      output_tokens: 0,
      reserved_output_file_id: batch.reservedOutputFileId,
      reserved_error_file_id: batch.reservedErrorFileId,
    };
    if (batch.total !== undefined) fields.total = batch.total;
    if (batch.metadata) fields.metadata = JSON.stringify(batch.metadata);
    if (batch.serviceTier) fields.service_tier = batch.serviceTier;
    const multi = this.redis.multi();
    if (batch.customIds && batch.customIds.length > 0) {
      const idsKey = this.keys.batchCustomIds(batch.id);
      multi.del(idsKey);
      for (let start = 0; start < batch.customIds.length; start += customIdsPerPush)
        multi.rpush(idsKey, ...batch.customIds.slice(start, start + customIdsPerPush));
      multi.expire(idsKey, this.options.ttlSeconds);
    }
    await multi
      .hset(key, fields)
      .expire(key, this.options.ttlSeconds)
      .zadd(listKey, batch.createdAt, batch.id)
      .expire(listKey, this.options.ttlSeconds)
      .sadd(this.keys.fileBatches(batch.inputFileId), batch.id)
      .expire(this.keys.fileBatches(batch.inputFileId), this.options.ttlSeconds)
      .hincrby(this.keys.batchStatusCounts(), 'validating', 1)
      .zadd(this.keys.pendingBatches(), batch.createdAt, batch.id)
      .zadd(this.keys.unendedBatches(), batch.createdAt, batch.id)
      .exec();
  }

  async get(batchId: string): Promise<BatchRecord | null> {
    const fields = await this.redis.hgetall(this.keys.batch(batchId));
    return fields.id ? parseBatch(fields) : null;
  }

  /**
   * A batch created from `fileId` that has not ended (it may still read the file), or
   * undefined. Looks only at the batches made from this file.
   */
  async unfinishedBatchOfFile(fileId: string): Promise<string | undefined> {
    const batchIds = await this.redis.smembers(this.keys.fileBatches(fileId));
    const statuses = await Promise.all(
      batchIds.map((id) => this.redis.hget(this.keys.batch(id), 'status')),
    );
    const live = new Set<string>(liveBatchStatuses);
    return batchIds.find((_id, index) => live.has(statuses[index] ?? ''));
  }

  /** Why the batch is stopping, if it is: read by workers before running each line. */
  async stopReason(batchId: string): Promise<BatchStopReason | undefined> {
    return stopReasonOf(await this.redis.hget(this.keys.batch(batchId), 'stop_reason'));
  }

  /**
   * A tenant's batches, newest first, after the batch `after` (OpenAI's cursor pagination).
   * Returns one page and whether more follow.
   */
  async list(
    tenant: string,
    { after, limit }: { after?: string; limit: number },
  ): Promise<{ batches: BatchRecord[]; hasMore: boolean }> {
    const listKey = this.keys.tenantBatches(tenant);
    let start = 0;
    if (after !== undefined) {
      const rank = await this.redis.zrevrank(listKey, after);
      if (rank === null) return { batches: [], hasMore: false };
      start = rank + 1;
    }
    const ids = await this.redis.zrevrange(listKey, start, start + limit);
    return { batches: await this.getMany(ids.slice(0, limit)), hasMore: ids.length > limit };
  }

  /**
   * A tenant's Message Batches, newest first: the page after `afterId` (older ones), or the
   * page just before `beforeId` (newer ones), as Anthropic's cursors work. Returns one page and
   * whether more follow in the direction paged.
   */
  async listMessageBatches(
    tenant: string,
    { afterId, beforeId, limit }: { afterId?: string; beforeId?: string; limit: number },
  ): Promise<{ batches: BatchRecord[]; hasMore: boolean }> {
    const listKey = this.keys.tenantMessageBatches(tenant);
    const cursor = beforeId ?? afterId;
    const rank = cursor === undefined ? null : await this.redis.zrevrank(listKey, cursor);
    if (cursor !== undefined && rank === null) return { batches: [], hasMore: false };
    let start = 0;
    let stop = limit - 1;
    let hasMore: boolean;
    if (beforeId !== undefined && rank !== null) {
      start = Math.max(0, rank - limit);
      stop = rank - 1;
      hasMore = start > 0;
    } else {
      if (rank !== null) start = rank + 1;
      stop = start + limit - 1;
      hasMore = (await this.redis.zcard(listKey)) > stop + 1;
    }
    const ids = stop >= start ? await this.redis.zrevrange(listKey, start, stop) : [];
    return { batches: await this.getMany(ids), hasMore };
  }

  /**
   * Forgets an ended batch: its record and its place in the tenant's list (its files are the
   * caller's to remove). Returns false when another request removed it first.
   */
  async remove(batch: Pick<BatchRecord, 'id' | 'tenant' | 'endpoint'>): Promise<boolean> {
    const [[, removed] = []] =
      (await this.redis
        .multi()
        .del(this.keys.batch(batch.id))
        .zrem(this.listKeyOf(batch), batch.id)
        .del(this.keys.batchCustomIds(batch.id))
        .exec()) ?? [];
    return removed === 1;
  }

  private listKeyOf(batch: Pick<BatchRecord, 'tenant' | 'endpoint'>): string {
    return batch.endpoint === '/v1/messages'
      ? this.keys.tenantMessageBatches(batch.tenant)
      : this.keys.tenantBatches(batch.tenant);
  }

  private async getMany(ids: readonly string[]): Promise<BatchRecord[]> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.batch(id));
    const results = (await pipeline.exec()) ?? [];
    const batches: BatchRecord[] = [];
    for (const [error, fields] of results) {
      if (error) throw error;
      const record = fields as Record<string, string>;
      if (record.id) batches.push(parseBatch(record));
    }
    return batches;
  }

  /** Validation passed: the batch runs `total` lines. Returns the status it had. */
  async begin(batchId: string, total: number, now = Date.now()): Promise<BatchStatus | null> {
    const status = (await beginScript.run(
      this.redis,
      [this.keys.batch(batchId), this.keys.batchStatusCounts()],
      [total, now],
    )) as string | null;
    return status ? batchStatusSchema.parse(status) : null;
  }

  /** The input file is invalid: the batch fails with these errors, nothing is enqueued. */
  async failValidation(
    batchId: string,
    errors: BatchValidationError[],
    total: number,
    now = Date.now(),
  ): Promise<boolean> {
    const written = await failValidationScript.run(
      this.redis,
      [
        this.keys.batch(batchId),
        this.keys.batchStatusCounts(),
        this.keys.webhookOutbox(),
        this.keys.unendedBatches(),
      ],
      [now, JSON.stringify(errors), total, batchId],
    );
    return written === 1;
  }

  /**
   * Records how one line ended, once: a line recorded before (retry, recovered job) changes
   * nothing. `line` is the JSONL line for the output file (completed) or the error file.
   * `ledger` (see `CostLedger.write`) is applied in the same step, only by the first record,
   * or, for a line whose call ended after its batch's ingest gave up (not recorded: `billed`),
   * once all the same, since the provider was paid. An ended batch records nothing more.
   * `rerunLedger` bills the calls this run made itself (not those carried from earlier runs,
   * and freeing no reservation), applied only when the line was recorded before: a re-run of a
   * recorded line (`rebilled`) paid the provider again.
   */
  async recordLine(
    batchId: string,
    index: number,
    outcome: BatchLineOutcome,
    line: string,
    usage: TokenCounts = { inputTokens: 0, outputTokens: 0 },
    now = Date.now(),
    ledger?: LedgerWrite,
    rerunLedger?: LedgerWrite,
  ): Promise<RecordLineResult> {
    const result = await recordLineScript.run(
      this.redis,
      [
        this.keys.batch(batchId),
        this.keys.batchDone(batchId),
        this.keys.batchOutput(batchId),
        this.keys.batchErrors(batchId),
        this.keys.batchStatusCounts(),
        this.keys.unendedBatches(),
        this.keys.batchBilledAfterFailure(batchId),
        ...(ledger?.keys ?? []),
      ],
      [
        index,
        outcome,
        line,
        usage.inputTokens,
        usage.outputTokens,
        now,
        this.options.ttlSeconds,
        ledger?.spec ?? '',
        batchId,
        // Same tenant and day as `ledger`: its keys serve both.
        (ledger && rerunLedger?.spec) ?? '',
      ],
    );
    return recordLineResults[result as number] ?? 'duplicate';
  }

  /** Whether a line's end is recorded already (its bit in the done bitmap). */
  async isLineRecorded(batchId: string, index: number): Promise<boolean> {
    return (await this.redis.getbit(this.keys.batchDone(batchId), index)) === 1;
  }

  /** Sets how many requests a batch has, counted after the fact (see `BatchFinalizer`). */
  async setTotal(batchId: string, total: number): Promise<void> {
    await this.redis.hset(this.keys.batch(batchId), 'total', total);
  }

  /** Notes that every line is queued. */
  async markEnqueued(batchId: string): Promise<void> {
    await this.redis.hset(this.keys.batch(batchId), 'lines_enqueued', '1');
  }

  /** Claims finalisation for a batch with nothing left to run (e.g. cancelled while validating). */
  async claimFinalize(batchId: string, now = Date.now()): Promise<boolean> {
    const claimed = await claimFinalizeScript.run(
      this.redis,
      [this.keys.batch(batchId), this.keys.unendedBatches()],
      [now, batchId],
    );
    return claimed === 1;
  }

  /** Starts cancelling a batch that is validating or running. Scoped to the tenant. */
  async cancel(batchId: string, tenant: string, now = Date.now()): Promise<BatchCancelOutcome> {
    const [outcome, status] = (await cancelScript.run(
      this.redis,
      [this.keys.batch(batchId), this.keys.batchStatusCounts()],
      [tenant, now],
    )) as [string, string];
    if (outcome === 'not_cancellable') return { outcome, status: batchStatusSchema.parse(status) };
    return { outcome: outcome as 'cancelling' | 'missing' };
  }

  /**
   * The completion window ended: lines not yet started will end as expired (`stopping`). A
   * batch whose lines were never queued is claimed for finalisation at once (`finalize`: the
   * caller queues it). `ended`: the batch had already ended.
   */
  async expire(batchId: string, now = Date.now()): Promise<BatchExpiry> {
    const result = await expireScript.run(
      this.redis,
      [this.keys.batch(batchId), this.keys.batchStatusCounts(), this.keys.unendedBatches()],
      [now, batchId],
    );
    return result === 2 ? 'finalize' : result === 1 ? 'stopping' : 'ended';
  }

  /**
   * The batch's ingest gave up: a batch whose lines were not all queued stops, with these
   * errors. It ends `failed`, or `cancelled` when a cancel came first (OpenAI's `cancelling`
   * ends `cancelled`). `failed` / `cancelled`: it had queued no line and has ended now
   * (`failed_at` or `cancelled_at`, its event in the webhook outbox). `finalize`: it had begun,
   * so its `notRun` unrecorded lines are now recorded as not run (a line whose call was under
   * way is not reported when it ends, but billed: see {@link recordLine}), `stopReason` says
   * why (what they count as), and the caller queues its finalisation, which ends it. `ended`: it had moved on (its lines all queued,
   * finalising, or ended).
   */
  async failIngest(
    batchId: string,
    errors: BatchValidationError[],
    now = Date.now(),
  ): Promise<IngestFailure> {
    const [outcome, notRun, stopReason] = (await failIngestScript.run(
      this.redis,
      [
        this.keys.batch(batchId),
        this.keys.batchStatusCounts(),
        this.keys.webhookOutbox(),
        this.keys.batchDone(batchId),
        this.keys.batchRecordedAtFailure(batchId),
        this.keys.unendedBatches(),
        this.keys.batchBilledAfterFailure(batchId),
      ],
      [now, JSON.stringify(errors), batchId, this.options.ttlSeconds],
    )) as [string, number, string?];
    if (outcome === 'finalize')
      return { outcome, notRun, stopReason: batchStopReasonSchema.parse(stopReason) };
    // Never `expired` here: an expiry claims a batch that never began for finalisation first.
    if (outcome === 'failed' || outcome === 'cancelled') return { outcome };
    return { outcome: 'ended' };
  }

  /**
   * The lines a batch had recorded when its ingest gave up (bit = line index, Redis bit order:
   * the first line is the high bit of the first byte), or null when it did not fail so.
   */
  async recordedAtFailure(batchId: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.batchRecordedAtFailure(batchId));
  }

  /**
   * Lists lines of a failed batch as not run (`line` for its error file), each line once
   * however often it is asked (see {@link failIngest}). Returns how many were listed now.
   */
  async listNotRun(
    batchId: string,
    lines: ReadonlyArray<{ index: number; line: string }>,
  ): Promise<number> {
    if (lines.length === 0) return 0;
    return (await listNotRunScript.run(
      this.redis,
      [this.keys.batchRecordedAtFailure(batchId), this.keys.batchErrors(batchId)],
      [this.options.ttlSeconds, ...lines.flatMap(({ index, line }) => [index, line])],
    )) as number;
  }

  /**
   * A Message Batch's custom_ids in request order, a page at a time (written by
   * {@link create}); nothing for a batch created without them.
   */
  async *customIds(batchId: string, pageSize = 1000): AsyncGenerator<string[]> {
    const key = this.keys.batchCustomIds(batchId);
    for (let start = 0; ; start += pageSize) {
      const ids = await this.redis.lrange(key, start, start + pageSize - 1);
      if (ids.length > 0) yield ids;
      if (ids.length < pageSize) return;
    }
  }

  /** Whether the batch's custom_ids were stored with it (a Message Batch's are). */
  async hasCustomIds(batchId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.batchCustomIds(batchId))) === 1;
  }

  /** Pages through a batch's output or error lines, as finalisation copies them into a file. */
  async *readLines(batchId: string, which: 'output' | 'errors', pageSize = 1000) {
    const key =
      which === 'output' ? this.keys.batchOutput(batchId) : this.keys.batchErrors(batchId);
    for (let start = 0; ; start += pageSize) {
      const lines = await this.redis.lrange(key, start, start + pageSize - 1);
      if (lines.length > 0) yield lines;
      if (lines.length < pageSize) return;
    }
  }

  /**
   * Sets the final status (completed, cancelled or expired) and the file ids; returns the
   * status. The batch's end also leaves an entry in the webhook outbox (`batch.<status>`).
   */
  async finish(
    batchId: string,
    files: { outputFileId?: string; errorFileId?: string },
    now = Date.now(),
  ): Promise<BatchStatus | null> {
    const status = (await finishScript.run(
      this.redis,
      [
        this.keys.batch(batchId),
        this.keys.webhookOutbox(),
        this.keys.batchStatusCounts(),
        this.keys.unendedBatches(),
      ],
      [now, files.outputFileId ?? '', files.errorFileId ?? '', batchId],
    )) as string;
    return status ? batchStatusSchema.parse(status) : null;
  }

  /**
   * How many batches are in each live status (`validating`, `in_progress`, `finalizing`,
   * `cancelling`), across every tenant: read at scrape time for `llm_batches`.
   */
  async statusCounts(): Promise<Record<LiveBatchStatus, number>> {
    const fields = await this.redis.hgetall(this.keys.batchStatusCounts());
    const counts = {} as Record<LiveBatchStatus, number>;
    for (const status of liveBatchStatuses)
      counts[status] = Math.max(0, Number(fields[status] ?? 0));
    return counts;
  }

  /**
   * Batches listed as unended (see `RedisKeys.unendedBatches`) last seen before `before`
   * (epoch ms), up to `limit`, oldest first: those the batch end sweeper looks at.
   */
  unendedBefore(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.unendedBatches(), '-inf', before, 'LIMIT', 0, limit);
  }

  /**
   * What a listed unended batch's end waits on now; a batch that needs no control job any
   * more is cleared from the list in the same script.
   */
  async unendedStage(batchId: string): Promise<UnendedStage> {
    const stage = (await unendedStageScript.run(
      this.redis,
      [this.keys.batch(batchId), this.keys.unendedBatches()],
      [batchId],
    )) as string;
    return stage === 'finalize' || stage === 'ingest' ? stage : 'settled';
  }

  /** Notes that a listed unended batch was seen waiting on a live job at `now` (epoch ms). */
  async touchUnended(batchId: string, now = Date.now()): Promise<void> {
    await this.redis.zadd(this.keys.unendedBatches(), 'XX', now, batchId);
  }

  /**
   * Drops the working keys of a finalised batch (its lines now live in files). The bitmap of
   * lines billed after an ingest failure stays until it expires: a call under way may still end.
   */
  async dropWorkingKeys(batchId: string): Promise<void> {
    await this.redis.del(
      this.keys.batchDone(batchId),
      this.keys.batchOutput(batchId),
      this.keys.batchErrors(batchId),
      this.keys.batchRecordedAtFailure(batchId),
    );
  }
}

function stopReasonOf(value: string | null | undefined): BatchStopReason | undefined {
  const parsed = batchStopReasonSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}

function parseBatch(fields: Record<string, string>): BatchRecord {
  const stopReason = fields.stop_reason;
  return {
    id: fields.id ?? '',
    tenant: fields.tenant ?? '',
    endpoint: batchEndpointSchema.parse(fields.endpoint) as BatchEndpoint,
    inputFileId: fields.input_file_id ?? '',
    completionWindow: fields.completion_window ?? '',
    status: batchStatusSchema.parse(fields.status),
    metadata: fields.metadata ? JSON.parse(fields.metadata) : undefined,
    createdAt: Number(fields.created_at ?? 0),
    expiresAt: Number(fields.expires_at ?? 0),
    ...(fields.service_tier
      ? { serviceTier: requestedServiceTierSchema.parse(fields.service_tier) }
      : {}),
    inProgressAt: optionalNumber(fields.in_progress_at),
    finalizingAt: optionalNumber(fields.finalizing_at),
    completedAt: optionalNumber(fields.completed_at),
    failedAt: optionalNumber(fields.failed_at),
    expiredAt: optionalNumber(fields.expired_at),
    cancellingAt: optionalNumber(fields.cancelling_at),
    cancelledAt: optionalNumber(fields.cancelled_at),
    stopReason: stopReasonOf(stopReason),
    counts: {
      total: Number(fields.total ?? 0),
      completed: Number(fields.completed ?? 0),
      failed: Number(fields.failed ?? 0),
      skipped: Number(fields.skipped ?? 0),
    },
    usage: {
      inputTokens: Number(fields.input_tokens ?? 0),
      outputTokens: Number(fields.output_tokens ?? 0),
    },
    errors: fields.errors ? JSON.parse(fields.errors) : undefined,
    outputFileId: fields.output_file_id || undefined,
    errorFileId: fields.error_file_id || undefined,
    reservedOutputFileId: fields.reserved_output_file_id ?? '',
    reservedErrorFileId: fields.reserved_error_file_id ?? '',
    linesEnqueued: fields.lines_enqueued === '1',
  };
}
