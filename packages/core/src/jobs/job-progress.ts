import { z } from 'zod';

/**
 * A job's provider calls so far, kept across worker attempts and parked waits. Shared by
 * prompt jobs and batch lines, which run through the same provider stage.
 */
export const jobProgressSchema = z.object({
  /** Every call made so far (AttemptRecord); validated loosely, it is our own output. */
  attempts: z.array(z.record(z.string(), z.unknown())),
  /** Where a parked job resumes its chain. */
  resume: z.object({ model: z.string(), retry: z.number().int().min(0) }).optional(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;
