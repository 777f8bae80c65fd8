import type { FileStorage } from '../files/file-storage';
import type { BatchRecord, BatchStatus } from './batch-record';
import type { BatchStore } from './batch-store';

export interface BatchFinalizerOptions {
  store: BatchStore;
  files: FileStorage;
  /** Called once a batch reached its final status (webhooks, metrics). */
  onFinished?: (batch: BatchRecord) => Promise<void> | void;
}

/**
 * Ends a batch whose lines have all ended: writes the output and error files from the lines
 * workers recorded, then sets `completed`, `cancelled` or `expired`. Safe to retry: the file
 * ids were reserved when the batch was created, so a second run rewrites the same files.
 */
export class BatchFinalizer {
  constructor(private readonly options: BatchFinalizerOptions) {}

  async finalize(batchId: string): Promise<BatchStatus | null> {
    const { store } = this.options;
    const batch = await store.get(batchId);
    if (!batch || !['in_progress', 'finalizing', 'cancelling'].includes(batch.status)) return null;
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
