import { z } from 'zod';

/**
 * A job's lifecycle as clients see it. `queued` covers waiting, delayed and
 * waiting-to-retry; `active` means a worker holds it now.
 */
export const jobStatusSchema = z.enum(['queued', 'active', 'completed', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** Statuses a job never leaves. */
export function isFinalStatus(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
