import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';

/**
 * Batches whose ingest and expiry jobs are not known to be queued: `BatchStore.create` lists a
 * batch here in the transaction that writes its record, and it is cleared once both jobs were
 * added (by its create, or by a repair, see `BatchAcceptRepair`). A batch listed here long after
 * its creation lost its jobs to a crash or a Redis error between the two writes.
 */
export class PendingBatches {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Whether the batch is still listed (its jobs were never confirmed queued). */
  async isListed(batchId: string): Promise<boolean> {
    return (await this.redis.zscore(this.keys.pendingBatches(), batchId)) !== null;
  }

  /** Ids of batches created before `before` (epoch ms) and still listed, oldest first. */
  listedBefore(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.pendingBatches(), '-inf', before, 'LIMIT', 0, limit);
  }

  /** Forgets batches whose jobs are queued, or which need none any more. */
  async clear(batchIds: readonly string[]): Promise<void> {
    if (batchIds.length === 0) return;
    await this.redis.zrem(this.keys.pendingBatches(), ...batchIds);
  }

  /**
   * Per batch, its `expiresAt` (epoch ms) when it still waits for its first ingest, else
   * undefined (no such batch, or an ingest began: it set `in_progress_at`, failed the batch,
   * queued its lines or, for a batch cancelled before it, claimed its finalisation). One
   * pipeline for all.
   */
  async awaitingIngest(batchIds: readonly string[]): Promise<Array<number | undefined>> {
    if (batchIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const batchId of batchIds)
      pipeline.hmget(
        this.keys.batch(batchId),
        'status',
        'in_progress_at',
        'finalize_claimed',
        'lines_enqueued',
        'expires_at',
      );
    const replies = (await pipeline.exec()) ?? [];
    return batchIds.map((_, index) => {
      const [error, fields] = replies[index] ?? [];
      if (error) throw error;
      const [status, inProgressAt, finalizeClaimed, linesEnqueued, expiresAt] = fields as Array<
        string | null
      >;
      const waiting =
        (status === 'validating' || status === 'cancelling') &&
        !inProgressAt &&
        !finalizeClaimed &&
        !linesEnqueued;
      return waiting ? Number(expiresAt ?? 0) : undefined;
    });
  }
}
