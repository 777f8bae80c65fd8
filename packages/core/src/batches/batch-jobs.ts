import { z } from 'zod';
import { jobProgressSchema } from '../jobs/job-progress';
import { normalizedRequestSchema } from '../jobs/job-request';

/** Data of one queued batch line (lane `prompts-bulk`). */
export const batchLineJobDataSchema = z.object({
  batchId: z.string().min(1),
  tenant: z.string().min(1),
  /** 0-based index of the request among the batch's requests (its bit in the done bitmap). */
  index: z.number().int().min(0),
  customId: z.string().min(1),
  /** Catalog model id (aliases already resolved). */
  model: z.string().min(1),
  request: normalizedRequestSchema,
  /** Provider calls of earlier attempts, and where a parked line resumes its chain. */
  progress: jobProgressSchema.optional(),
  createdAt: z.number().int(),
});
export type BatchLineJobData = z.infer<typeof batchLineJobDataSchema>;

/** Data of the bookkeeping jobs (ingest, finalise, expire): they only name the batch. */
export const batchControlJobDataSchema = z.object({ batchId: z.string().min(1) });
export type BatchControlJobData = z.infer<typeof batchControlJobDataSchema>;
