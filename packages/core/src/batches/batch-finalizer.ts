import type { FileStorage } from '../files/file-storage';
import { skippedBatchLine } from './batch-output-line';
import type { BatchRecord, BatchStatus } from './batch-record';
import type { BatchStore } from './batch-store';
import { readJsonlLines } from './read-jsonl-lines';

export interface BatchFinalizerOptions {
  store: BatchStore;
  files: FileStorage;
  /** Called once a batch reached its final status (webhooks, metrics). */
  onFinished?: (batch: BatchRecord) => Promise<void> | void;
}

/**
 * Ends a batch whose lines have all ended (or that stopped before any was queued): writes the
 * output and error files from the lines workers recorded, then sets `completed`, `cancelled`
 * or `expired`. Safe to retry: the file ids were reserved when the batch was created, so a
 * second run rewrites the same files.
 */
export class BatchFinalizer {
  constructor(private readonly options: BatchFinalizerOptions) {}

  async finalize(batchId: string): Promise<BatchStatus | null> {
    const { store } = this.options;
    const batch = await store.get(batchId);
    if (!batch || !['in_progress', 'finalizing', 'cancelling'].includes(batch.status)) return null;
    if (batch.stopReason === 'expired' && batch.inProgressAt === undefined && !batch.linesEnqueued)
      await this.recordNotRun(batch);
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
   * batch still ends. Each line is recorded once by its index, so a retry lists none twice.
   */
  private async recordNotRun(batch: BatchRecord): Promise<void> {
    const { store, files } = this.options;
    let index = 0;
    let inflight: Array<Promise<unknown>> = [];
    try {
      for await (const { text } of readJsonlLines(files.read(batch.inputFileId))) {
        const customId = customIdOf(text);
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

/** The custom_id of an input line not validated, or undefined when it has none to read. */
function customIdOf(text: string): string | undefined {
  try {
    const line: unknown = JSON.parse(text);
    if (typeof line !== 'object' || line === null || !('custom_id' in line)) return undefined;
    return typeof line.custom_id === 'string' ? line.custom_id : undefined;
  } catch {
    return undefined;
  }
}
