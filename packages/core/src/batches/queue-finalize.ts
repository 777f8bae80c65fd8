import type { Queue } from 'bullmq';
import { jobCatalog } from '../jobs/job-catalog';

/** The id of a batch's finalise job: one per batch, so queueing it twice adds nothing. */
export function finalizeJobId(batchId: string): string {
  return `finalize-${batchId}`;
}

/**
 * Queues a batch's finalisation (its output and error files, then its final status) on the
 * `batch-control` queue; a second call while the job exists is a no-op.
 */
export async function queueFinalize(controlQueue: Queue, batchId: string): Promise<void> {
  await controlQueue.add(
    'batch-finalize',
    { batchId },
    { ...jobCatalog['batch-finalize'].defaultOptions, jobId: finalizeJobId(batchId) },
  );
}
