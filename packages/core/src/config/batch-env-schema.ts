import { z } from 'zod';
import { type BatchLimits, defaultBatchLimits } from '../batches/batch-limits';

/** Environment shared by the API and workers for files and batches. */
export const batchEnvShape = {
  /** How long uploaded and output files and batch records stay readable, seconds (30 days). */
  FILE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 24 * 3600),
  /** Largest batch input upload, bytes (default 500 MB). */
  BATCH_MAX_FILE_BYTES: z.coerce.number().int().positive().default(defaultBatchLimits.maxFileBytes),
  /** Most requests in one batch input file (default 200,000). */
  BATCH_MAX_LINES: z.coerce.number().int().positive().default(defaultBatchLimits.maxLines),
  /**
   * How often a worker polls a provider batch it submitted (OpenAI Batch, Anthropic Message
   * Batches), ms (default 60 s); also when it checks the batch against its deadline.
   */
  PROVIDER_BATCH_POLL_MS: z.coerce.number().int().positive().default(60_000),
};

export function toBatchLimits(env: {
  BATCH_MAX_FILE_BYTES: number;
  BATCH_MAX_LINES: number;
}): BatchLimits {
  return { maxFileBytes: env.BATCH_MAX_FILE_BYTES, maxLines: env.BATCH_MAX_LINES };
}
