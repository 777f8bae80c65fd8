import type { FilePurpose, NewStoredFile, StoredFile } from './stored-file';

/** One page request of a tenant's files (OpenAI's `GET /v1/files` query). */
export interface FileListQuery {
  /** Only files of this purpose. */
  purpose?: FilePurpose;
  /** The files after this one, in `order` (OpenAI's cursor). */
  after?: string;
  /** Most files in the page. */
  limit: number;
  /** By creation time: `desc` (newest first, OpenAI's default) or `asc`. */
  order: 'asc' | 'desc';
}

/** One page of files, and whether more follow. */
export interface FilePage {
  files: StoredFile[];
  hasMore: boolean;
}

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
  /** Removes the file and its content (nothing happens for an unknown id). */
  remove(fileId: string): Promise<void>;
  /** A tenant's unexpired files, one page; an `after` that names no listed file gives none. */
  list(tenant: string, query: FileListQuery): Promise<FilePage>;
}
