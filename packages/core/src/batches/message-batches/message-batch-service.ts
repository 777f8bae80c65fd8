import type { Queue } from 'bullmq';
import type { ModelCatalog } from '../../catalog/model-catalog';
import { ClientError } from '../../errors/client-error';
import type { FileStorage } from '../../files/file-storage';
import { queueAcceptedBatch } from '../batch-accept';
import type { BatchRepairOutcome } from '../batch-accept-repair';
import { batchCustomIds } from '../batch-custom-ids';
import type { BatchRecord } from '../batch-record';
import { BatchService, newId } from '../batch-service';
import type { BatchStore } from '../batch-store';
import { readJsonlLines } from '../read-jsonl-lines';
import { type MessageBatchLimits, readMessageBatchRequests } from './message-batch-request';
import {
  erroredResult,
  type MessageBatchResultLine,
  toMessageBatchResultLine,
} from './message-batch-result-line';

export interface MessageBatchServiceOptions {
  store: BatchStore;
  files: FileStorage;
  /** The `batch-control` queue (ingest, finalise, expire jobs). */
  controlQueue: Queue;
  catalog: ModelCatalog;
  limits: MessageBatchLimits;
}

/** Anthropic processes a Message Batch within 24 hours; what is left then expires. */
const messageBatchWindow = { text: '24h', seconds: 24 * 3600 };

/** How many input lines go into one write of the stored input file. */
const writeChunkLines = 1000;

/** A Message Batch id: `msgbatch_` and 32 hex digits. */
export const messageBatchIdPattern = /^msgbatch_[0-9a-f]{32}$/;

/**
 * Anthropic Message Batches on llmq's batch machinery: a batch is a batch record whose lines
 * target `/v1/messages` (chat lines answered as Anthropic messages), ingested, run, cancelled,
 * expired and finalised by the same workers as OpenAI batches. This class does what the API
 * adds: checking the requests up front, storing them as the batch's input file, deleting an
 * ended batch and reading its results in Anthropic's shape.
 */
export class MessageBatchService {
  private readonly batches: BatchService;

  constructor(private readonly options: MessageBatchServiceOptions) {
    this.batches = new BatchService({
      store: options.store,
      files: options.files,
      controlQueue: options.controlQueue,
      limits: { maxLines: options.limits.maxRequests, maxFileBytes: options.limits.maxBodyBytes },
    });
  }

  /** What one batch may hold (its body is parsed up to `maxBodyBytes`). */
  get limits(): MessageBatchLimits {
    return this.options.limits;
  }

  /**
   * Checks every request (a 400 names the first bad one), stores them as the batch's input
   * file, records the batch (`in_progress` to Anthropic) and queues its ingest and expiry.
   * `batchId` is given when an Idempotency-Key reserved the id first. Once the record is
   * written, the batch runs even when this throws (see `batch-accept.ts`).
   */
  async create(
    tenant: string,
    /** The request body as received: checked here (see `readMessageBatchRequests`). */
    body: unknown,
    { batchId = newId('msgbatch_') }: { batchId?: string } = {},
  ): Promise<BatchRecord> {
    const { store, files, controlQueue, catalog, limits } = this.options;
    const lines = await readMessageBatchRequests(body, { catalog, limits });
    const inputFileId = newId('file-');
    const writer = files.createWriter({
      id: inputFileId,
      tenant,
      filename: `${batchId}_requests.jsonl`,
      purpose: 'batch',
    });
    try {
      for (let start = 0; start < lines.length; start += writeChunkLines)
        await writer.write(
          Buffer.from(`${lines.slice(start, start + writeChunkLines).join('\n')}\n`),
        );
      await writer.commit();
    } catch (error) {
      await writer.abort().catch(() => undefined);
      throw error;
    }
    const createdAt = Date.now();
    await store.create({
      id: batchId,
      tenant,
      endpoint: '/v1/messages',
      inputFileId,
      completionWindow: messageBatchWindow.text,
      createdAt,
      expiresAt: createdAt + messageBatchWindow.seconds * 1000,
      reservedOutputFileId: newId('file-'),
      reservedErrorFileId: newId('file-'),
      total: lines.length,
      // Read by readMessageBatchRequests, which checked each: one per line, in order.
      customIds: (body as { requests: Array<{ custom_id: string }> }).requests.map(
        (request) => request.custom_id,
      ),
    });
    await queueAcceptedBatch(
      controlQueue,
      store.pending,
      batchId,
      messageBatchWindow.seconds * 1000,
    );
    return this.get(tenant, batchId);
  }

  /** As `BatchService.ensureQueued`: an Idempotency-Key replay repairs a create that died. */
  ensureQueued(batchId: string): Promise<BatchRepairOutcome> {
    return this.batches.ensureQueued(batchId);
  }

  /** The tenant's Message Batch; a 404 for another tenant's or any other kind of batch. */
  async get(tenant: string, batchId: string): Promise<BatchRecord> {
    const batch = messageBatchIdPattern.test(batchId)
      ? await this.options.store.get(batchId)
      : null;
    if (!batch || batch.tenant !== tenant || batch.endpoint !== '/v1/messages')
      throw messageBatchNotFound(batchId);
    return batch;
  }

  /** The tenant's Message Batches, newest first, one page (Anthropic's `after_id`/`before_id`). */
  list(
    tenant: string,
    page: { limit: number; afterId?: string; beforeId?: string },
  ): Promise<{ batches: BatchRecord[]; hasMore: boolean }> {
    return this.options.store.listMessageBatches(tenant, page);
  }

  /** Starts cancelling: requests not yet started end `canceled`, answered ones are kept. */
  async cancel(tenant: string, batchId: string): Promise<BatchRecord> {
    await this.get(tenant, batchId);
    return this.batches.cancel(tenant, batchId);
  }

  /** Deletes an ended batch with its files; a batch still processing must be cancelled first. */
  async delete(tenant: string, batchId: string): Promise<void> {
    const batch = await this.get(tenant, batchId);
    if (!isEnded(batch))
      throw new ClientError(
        'batch_still_processing',
        `message batch ${batchId} is still processing; cancel it and delete it once it has ended`,
      );
    const { files, store } = this.options;
    if (!(await store.remove(batch))) throw messageBatchNotFound(batchId);
    await Promise.all(
      [batch.inputFileId, batch.outputFileId, batch.errorFileId]
        .filter((id): id is string => id !== undefined)
        .map((id) => files.remove(id)),
    );
  }

  /**
   * An ended batch's results, one Anthropic result line at a time (answers first, then
   * failures, cancelled and expired requests; Anthropic does not order them either). A batch
   * that failed before running a line (its budget, or an ingest that gave up) reports every
   * request `errored` with the reason, named from the custom_ids stored with it, so also when
   * its input file cannot be read.
   */
  async *results(tenant: string, batchId: string): AsyncGenerator<MessageBatchResultLine> {
    const batch = await this.get(tenant, batchId);
    if (!isEnded(batch))
      throw new ClientError(
        'batch_results_not_ready',
        `message batch ${batchId} has not ended; its results_url is set once it has`,
      );
    const filed = batch.outputFileId !== undefined || batch.errorFileId !== undefined;
    if (batch.status === 'failed' && !filed) {
      const error = failedBatchError(batch);
      for await (const customId of this.customIdsOf(batch)) yield erroredResult(customId, error);
      return;
    }
    if (!batch.linesEnqueued && batch.stopReason !== undefined && !filed) {
      // Cancelled (or expired) before its lines were queued: none ran, none was recorded.
      const type = batch.stopReason === 'expired' ? 'expired' : 'canceled';
      for await (const customId of this.customIdsOf(batch))
        yield { custom_id: customId, result: { type } };
      return;
    }
    const { files } = this.options;
    for (const fileId of [batch.outputFileId, batch.errorFileId]) {
      if (fileId === undefined) continue;
      for await (const { text } of readJsonlLines(files.read(fileId)))
        yield toMessageBatchResultLine(text);
    }
  }

  /**
   * The custom_ids of a batch's requests, in order: those stored with it, or (a batch created
   * before they were stored) read from its input file.
   */
  private async *customIdsOf(batch: BatchRecord): AsyncGenerator<string> {
    for await (const customId of batchCustomIds(this.options.store, this.options.files, batch))
      if (customId !== undefined) yield customId;
  }
}

/**
 * The error every request of a batch that failed before running reports: `billing_error`
 * when its budget refused it, `api_error` when its ingest gave up (llmq's fault, not the
 * request's), `invalid_request_error` for a request found invalid at ingest.
 */
function failedBatchError(batch: BatchRecord): { type: string; message: string } {
  const reason = batch.errors?.[0];
  const type =
    reason?.code === 'budget_exceeded'
      ? 'billing_error'
      : reason?.code === 'ingest_failed'
        ? 'api_error'
        : 'invalid_request_error';
  return { type, message: reason?.message ?? 'the batch could not run' };
}

/** Whether a batch has ended (Anthropic's `processing_status: "ended"`). */
export function isEnded(batch: BatchRecord): boolean {
  return ['completed', 'failed', 'expired', 'cancelled'].includes(batch.status);
}

function messageBatchNotFound(batchId: string): ClientError {
  return new ClientError('batch_not_found', `no message batch ${batchId}`);
}
