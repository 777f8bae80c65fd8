import type { Queue } from 'bullmq';
import type { SweepTally } from '../jobs/submission-repair';
import { queueIngestAndExpiry } from './batch-accept';
import type { PendingBatches } from './pending-batches';

/**
 * What a check of one batch found: its jobs were queued again (`requeued`), had been confirmed
 * queued (`queued`: not listed pending), or are not needed any more (`not_needed`: an ingest
 * began, or the batch is gone).
 */
export type BatchRepairOutcome = 'requeued' | 'queued' | 'not_needed';

/**
 * Queues again the ingest and expiry jobs of a batch whose create wrote its record and then
 * died, or failed on Redis, before adding them (see `batch-accept.ts`). A batch still listed
 * pending that waits for its first ingest gets both jobs (its expiry at its `expiresAt`), then
 * is cleared; one an ingest already began is only cleared. Adding them twice adds nothing (the
 * job ids are the batch's), so a replay and the sweeper may race each other or a slow create.
 */
export class BatchAcceptRepair {
  constructor(
    private readonly pending: PendingBatches,
    private readonly controlQueue: Queue,
  ) {}

  /**
   * Checks one batch (the replay of its `Idempotency-Key`) and queues its jobs when its create
   * did not confirm them. One read when it did.
   */
  async ensureQueued(batchId: string, now: number = Date.now()): Promise<BatchRepairOutcome> {
    if (!(await this.pending.isListed(batchId))) return 'queued';
    const [requeued] = await this.requeue([batchId], now);
    return requeued ? 'requeued' : 'not_needed';
  }

  /**
   * Checks every batch created more than `graceMs` ago that is still listed pending (up to
   * `limit`), queues the jobs of those waiting for their first ingest, and clears them all.
   */
  async sweep(graceMs: number, limit = 500, now: number = Date.now()): Promise<SweepTally> {
    const batchIds = await this.pending.listedBefore(now - graceMs, limit);
    const requeued = await this.requeue(batchIds, now);
    return {
      checked: batchIds.length,
      requeued: requeued.filter(Boolean).length,
      lost: 0,
    };
  }

  /** Per batch, whether its jobs were queued again; every one is cleared after. */
  private async requeue(batchIds: readonly string[], now: number): Promise<boolean[]> {
    const expiresAt = await this.pending.awaitingIngest(batchIds);
    for (const [index, batchId] of batchIds.entries()) {
      const expiry = expiresAt[index];
      if (expiry !== undefined)
        await queueIngestAndExpiry(this.controlQueue, batchId, expiry - now);
    }
    await this.pending.clear(batchIds);
    return expiresAt.map((expiry) => expiry !== undefined);
  }
}
