import { z } from 'zod';
import { attemptRecordSchema } from '../resilience/attempt-record';

/**
 * A job's provider calls so far, kept across worker attempts and parked waits. Shared by
 * prompt jobs and batch lines, which run through the same provider stage.
 */
export const jobProgressSchema = z.object({
  /** Every call made so far, parsed with the attempt record's own schema. */
  attempts: z.array(attemptRecordSchema),
  /** Where a parked job resumes its chain (`ChainResume`). */
  resume: z
    .object({
      model: z.string(),
      retry: z.number().int().min(0),
      /** The deployment whose queue of waiting callers the job took a place in. */
      deployment: z.string().optional(),
    })
    .optional(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;
