import type { Queue } from 'bullmq';
import type { FileStorage } from '../files/file-storage';
import { isRedisUnavailableError } from '../redis/redis-connection';
import { batchCustomIds } from './batch-custom-ids';
import { batchLineIdentitySchema } from './batch-jobs';
import { skippedBatchLine } from './batch-output-line';
import type { BatchRecord, BatchStatus, BatchStopReason } from './batch-record';
import type { BatchStore } from './batch-store';

export interface BatchFinalizerOptions {
  store: BatchStore;
  files: FileStorage;
  /**
   * The `prompts-bulk` queue: a failed batch whose input file cannot be read (further) names
   * its queued lines not run by their jobs' custom_ids. Absent: those are not listed.
   */
  lineQueue?: Pick<Queue, 'getJob'>;
  /** Called once a batch reached its final status (webhooks, metrics). */
  onFinished?: (batch: BatchRecord) => Promise<void> | void;
}

/**
 * Ends a batch whose lines have all ended (or that stopped before any was queued): writes the
 * output and error files from the lines workers recorded, then sets `completed`, `cancelled`,
 * `expired` or `failed` (its ingest gave up after it began). Safe to retry: the file ids were
 * reserved when the batch was created, so a second run rewrites the same files.
 */
export class BatchFinalizer {
  constructor(private readonly options: BatchFinalizerOptions) {}

  async finalize(batchId: string): Promise<BatchStatus | null> {
    const { store } = this.options;
    const batch = await store.get(batchId);
    if (!batch || !['in_progress', 'finalizing', 'cancelling'].includes(batch.status)) return null;
    if (batch.stopReason === 'expired' && batch.inProgressAt === undefined && !batch.linesEnqueued)
      await this.recordNotRun(batch);
    // Its ingest gave up after it began (the stop reason `failed`, or the cancel or expiry that
    // came first): the lines it had not recorded then are listed.
    await this.listNotRun(batch);
    const outputFileId = await this.writeFile(batch, 'output', batch.reservedOutputFileId);
    const errorFileId = await this.writeFile(batch, 'errors', batch.reservedErrorFileId);
    const status = await store.finish(batchId, { outputFileId, errorFileId });
    await store.dropWorkingKeys(batchId);
    if (status && this.options.onFinished) {
      const finished = await store.get(batchId);
      if (finished) await this.options.onFinished(finished);
    }
    return status;
  }

  /**
   * A batch that expired before its ingest began (still validating at its deadline): each
   * request of its input file is recorded as not run (`batch_expired` in the error file, as
   * OpenAI reports the requests an expiry left) and counted in `total`. Best effort: the file
   * was never validated, so a line without a readable custom_id is left out, and a file that
   * cannot be read (the reason its ingest never ran, perhaps) lists what was read, so the
   * batch still ends (a Message Batch's custom_ids are stored with it: all are listed). Each
   * line is recorded once by its index, so a retry lists none twice.
   */
  private async recordNotRun(batch: BatchRecord): Promise<void> {
    const { store, files } = this.options;
    let index = 0;
    let inflight: Array<Promise<unknown>> = [];
    try {
      for await (const customId of batchCustomIds(store, files, batch)) {
        if (customId === undefined) continue;
        inflight.push(
          store.recordLine(batch.id, index, 'skipped', skippedBatchLine(customId, 'expired')),
        );
        index += 1;
        // Sent together, so a large file costs a few round trips per thousand lines.
        if (inflight.length >= 500) {
          await Promise.all(inflight);
          inflight = [];
        }
      }
      await Promise.all(inflight);
    } catch {
      await Promise.allSettled(inflight);
      index = (await store.get(batch.id))?.counts.skipped ?? 0;
    }
    await store.setTotal(batch.id, index);
  }

  /**
   * A batch whose ingest gave up after it began queuing its lines: each line its lines had
   * not recorded then (never queued, queued, or answered too late: billed, not written) goes
   * to the error file as `batch_failed` (`batch_cancelled` or `batch_expired` when a cancel or
   * an expiry had stopped the batch first), by the custom_ids stored with the batch (a Message Batch) or read from its
   * input file, in line order. They were counted when it failed; a file that cannot be read
   * lists what was read, then the lines after it that were queued, by their jobs' custom_ids
   * (see {@link listQueuedNotRun}), and the batch still ends. Listing is idempotent, so a retry
   * lists none twice.
   */
  private async listNotRun(batch: BatchRecord): Promise<void> {
    const { store } = this.options;
    const recorded = await store.recordedAtFailure(batch.id);
    if (recorded === null) return;
    const reason = batch.stopReason ?? 'failed';
    const customIds = batchCustomIds(store, this.options.files, batch);
    let page: Array<{ index: number; line: string }> = [];
    for (let index = 0; ; index += 1) {
      let next: IteratorResult<string | undefined>;
      try {
        next = await customIds.next();
      } catch (error) {
        // Redis out of reach, or the stored custom_ids unread: the finalisation is retried.
        if (isRedisUnavailableError(error) || (await store.hasCustomIds(batch.id))) throw error;
        // The input file cannot be read (further): what was read is listed, then the rest of
        // the lines that were queued.
        await store.listNotRun(batch.id, page);
        await this.listQueuedNotRun(batch, recorded, index, reason);
        return;
      }
      if (next.done) break;
      const customId = next.value;
      if (customId !== undefined && !isBitSet(recorded, index))
        page.push({ index, line: skippedBatchLine(customId, reason) });
      if (page.length >= 500) {
        await store.listNotRun(batch.id, page);
        page = [];
      }
    }
    await store.listNotRun(batch.id, page);
  }

  /**
   * Lists, from line `from` on, the lines of a failed batch not recorded before it failed whose
   * job is still in the bulk lane (waiting to skip its call, or kept after it), by the
   * custom_id in the job's data. A line never queued (its ingest stopped first), one waiting in
   * a provider batch, or one whose job the lane no longer keeps has no custom_id left to read
   * once the input file cannot be read: it is counted, not listed.
   */
  private async listQueuedNotRun(
    batch: BatchRecord,
    recorded: Buffer,
    from: number,
    reason: BatchStopReason,
  ) {
    const { store, lineQueue } = this.options;
    if (!lineQueue) return;
    const indexes: number[] = [];
    for (let index = from; index < batch.counts.total; index += 1)
      if (!isBitSet(recorded, index)) indexes.push(index);
    for (let start = 0; start < indexes.length; start += 500) {
      const chunk = indexes.slice(start, start + 500);
      const jobs = await Promise.all(
        chunk.map((index) => lineQueue.getJob(`${batch.id}-${index}`)),
      );
      const page = chunk.flatMap((index, position) => {
        const parsed = batchLineIdentitySchema.safeParse(jobs[position]?.data);
        if (!parsed.success || parsed.data.batchId !== batch.id || parsed.data.index !== index)
          return [];
        return [{ index, line: skippedBatchLine(parsed.data.customId, reason) }];
      });
      await store.listNotRun(batch.id, page);
    }
  }

  private async writeFile(
    batch: BatchRecord,
    which: 'output' | 'errors',
    fileId: string,
  ): Promise<string | undefined> {
    const writer = this.options.files.createWriter({
      id: fileId,
      tenant: batch.tenant,
      filename: `${batch.id}_${which === 'output' ? 'output' : 'error'}.jsonl`,
      purpose: 'batch_output',
    });
    try {
      for await (const lines of this.options.store.readLines(batch.id, which))
        await writer.write(Buffer.from(`${lines.join('\n')}\n`));
      if (writer.bytes === 0) {
        await writer.abort();
        return undefined;
      }
      await writer.commit();
      return fileId;
    } catch (error) {
      await writer.abort().catch(() => undefined);
      throw error;
    }
  }
}

/** Whether bit `index` of a Redis bitmap is set (bit 0 is the high bit of the first byte). */
function isBitSet(bitmap: Buffer, index: number): boolean {
  const byte = bitmap[index >> 3];
  return byte !== undefined && (byte & (0x80 >> (index & 7))) !== 0;
}
