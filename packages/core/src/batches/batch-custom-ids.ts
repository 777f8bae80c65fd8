import type { FileStorage } from '../files/file-storage';
import type { BatchRecord } from './batch-record';
import type { BatchStore } from './batch-store';
import { readJsonlLines } from './read-jsonl-lines';

/**
 * A batch's custom_ids in line order (undefined for a line without a readable one): those
 * stored with it (a Message Batch's), else read from its input file, whose read errors are
 * thrown as they come.
 */
export async function* batchCustomIds(
  store: Pick<BatchStore, 'hasCustomIds' | 'customIds'>,
  files: Pick<FileStorage, 'read'>,
  batch: Pick<BatchRecord, 'id' | 'inputFileId'>,
): AsyncGenerator<string | undefined> {
  if (await store.hasCustomIds(batch.id)) {
    for await (const ids of store.customIds(batch.id)) yield* ids;
    return;
  }
  for await (const { text } of readJsonlLines(files.read(batch.inputFileId)))
    yield customIdOf(text);
}

/** The custom_id of an input line (not necessarily validated), or undefined when it has none. */
export function customIdOf(text: string): string | undefined {
  try {
    const line: unknown = JSON.parse(text);
    if (typeof line !== 'object' || line === null || !('custom_id' in line)) return undefined;
    return typeof line.custom_id === 'string' ? line.custom_id : undefined;
  } catch {
    return undefined;
  }
}
