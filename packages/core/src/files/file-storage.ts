import type { NewStoredFile, StoredFile } from './stored-file';

/**
 * Writes one file as a stream of chunks; nothing is visible to readers until `commit`.
 * Callers must await each `write` (that is the backpressure) and end with `commit` or `abort`.
 */
export interface FileWriter {
  /** Bytes written so far. */
  readonly bytes: number;
  /** Lines written so far (counting a last line without a newline). */
  readonly lines: number;
  write(chunk: Buffer): Promise<void>;
  /** Makes the file readable and returns its metadata; `patch` sets what was learnt while writing. */
  commit(patch?: Partial<Pick<NewStoredFile, 'filename' | 'purpose'>>): Promise<StoredFile>;
  /** Drops everything written. */
  abort(): Promise<void>;
}

/**
 * Where file content lives, so any API instance can serve any file. Redis is the default
 * ({@link RedisFileStorage}); object storage can implement the same contract.
 */
export interface FileStorage {
  createWriter(file: NewStoredFile): FileWriter;
  get(fileId: string): Promise<StoredFile | null>;
  /** The content, chunk by chunk, never the whole file at once. */
  read(fileId: string): AsyncIterable<Buffer>;
  remove(fileId: string): Promise<void>;
}
