import type { Queue } from 'bullmq';
import { jobCatalog } from '../jobs/job-catalog';
import type { PendingBatches } from './pending-batches';

// A batch is accepted in two writes: its record (listed pending in the same transaction, see
// `BatchStore.create`), then its ingest and expiry jobs in BullMQ. Nothing runs without its
// record; a crash or a Redis error between the two leaves the batch listed pending, and
// `BatchAcceptRepair` (an Idempotency-Key replay, the worker's batch sweeper) queues its jobs
// again. The job ids are the batch's, so queueing twice adds nothing.

/**
 * Queues a batch's ingest (validation, then its lines) and its expiry `expireAfterMs` from now,
 * at the end of its completion window; the job ids make a repeated call a no-op.
 */
export async function queueIngestAndExpiry(
  controlQueue: Queue,
  batchId: string,
  expireAfterMs: number,
): Promise<void> {
  await controlQueue.addBulk([
    {
      name: 'batch-ingest',
      data: { batchId },
      opts: { ...jobCatalog['batch-ingest'].defaultOptions, jobId: `ingest-${batchId}` },
    },
    {
      name: 'batch-expire',
      data: { batchId },
      opts: {
        ...jobCatalog['batch-expire'].defaultOptions,
        jobId: `expire-${batchId}`,
        delay: Math.max(0, expireAfterMs),
      },
    },
  ]);
}

/**
 * The second write of a new batch's accept: queues its jobs, then clears its pending entry.
 * A failure to clear is not the client's: the jobs are queued, and the sweeper clears it.
 */
export async function queueAcceptedBatch(
  controlQueue: Queue,
  pending: PendingBatches,
  batchId: string,
  expireAfterMs: number,
): Promise<void> {
  await queueIngestAndExpiry(controlQueue, batchId, expireAfterMs);
  await pending.clear([batchId]).catch(() => undefined);
}
