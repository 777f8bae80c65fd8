/** Size limits of batch input files; defaults are above OpenAI's (50,000 lines, 200 MB). */
export interface BatchLimits {
  /** Largest upload, bytes (env `BATCH_MAX_FILE_BYTES`, default 500 MB). */
  maxFileBytes: number;
  /** Most lines in one input file (env `BATCH_MAX_LINES`, default 200,000). */
  maxLines: number;
}

export const defaultBatchLimits: BatchLimits = {
  maxFileBytes: 500 * 1024 * 1024,
  maxLines: 200_000,
};
