import type { Queue } from 'bullmq';
import type { SweepTally } from '../jobs/submission-repair';
import type { BatchIngester } from './batch-ingester';
import type { BatchStopReason } from './batch-record';
import type { BatchStore } from './batch-store';
import { finalizeJobId, queueFinalize } from './queue-finalize';

/**
 * What the batch end sweeper did for one batch: queued its claimed finalisation again
 * (`finalize_requeued`), or failed it because its ingest stopped without doing so
 * (`ingest_failed`). `jobState` is the state its job was found in (`unknown`: gone).
 */
export interface BatchEndRecovery {
  batchId: string;
  action: 'finalize_requeued' | 'ingest_failed';
  jobState: string;
  /** Lines recorded as not run by failing it (`ingest_failed` after lines were queued). */
  linesNotRun: number;
  /** Why those lines did not run: the ingest's failure, or the cancel or expiry before it. */
  stopReason?: BatchStopReason;
}

export interface BatchEndRepairOptions {
  store: BatchStore;
  /** The `batch-control` queue: ingest and finalise jobs. */
  controlQueue: Queue;
  ingester: Pick<BatchIngester, 'fail'>;
  /** Called for each batch the sweep acted on (metrics, logs). */
  onRecovered?: (recovery: BatchEndRecovery) => void;
}

/** BullMQ states of a job that will still run (or is running). */
const liveJobStates = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Ends batches whose end waited on a control job that is gone. A script moves a batch first
 * and its control job is added after (the finalisation claimed by a last line, an expiry, a
 * failed ingest or a cancelled one; the ingest's own failing after its last attempt), so a
 * crash or a Redis error in between, or a job that failed its last attempt or was removed,
 * left it `finalizing`, `cancelling` or `in_progress` for good. Each such batch is listed as
 * unended (see `RedisKeys.unendedBatches`); once it has been listed a grace period:
 *
 * - finalisation claimed, its `finalize-<id>` job gone (or failed, or completed): the job is
 *   queued again (a failed or completed one removed first, as its id would make the add a
 *   no-op); the finaliser is safe to run again, and `finish` ends a batch once.
 * - its lines not all queued, finalisation unclaimed, its `ingest-<id>` job gone: the ingest
 *   is given up as its last attempt would have (`BatchIngester.fail`, cause `lost`), which
 *   ends the batch `failed` or claims its finalisation and queues it.
 *
 * A batch whose job is still waiting or running is looked at again a grace period later; one
 * still listed pending (its create did not confirm its jobs) is `BatchAcceptRepair`'s.
 */
export class BatchEndRepair {
  constructor(private readonly options: BatchEndRepairOptions) {}

  /** Looks at up to `limit` batches listed more than `graceMs` ago and ends the stuck ones. */
  async sweep(graceMs: number, limit = 500, now: number = Date.now()): Promise<SweepTally> {
    const { store } = this.options;
    const batchIds = await store.unendedBefore(now - graceMs, limit);
    const tally: SweepTally = { checked: batchIds.length, requeued: 0, lost: 0 };
    for (const batchId of batchIds) {
      const recovery = await this.check(batchId);
      // Looked at again a grace period from now, whatever it waits on: this sweep is done
      // with it (an ended batch was cleared, and touching does not list it again).
      await store.touchUnended(batchId, now);
      if (!recovery) continue;
      tally.requeued += 1;
      this.options.onRecovered?.(recovery);
    }
    return tally;
  }

  private async check(batchId: string): Promise<BatchEndRecovery | undefined> {
    const { store, controlQueue } = this.options;
    const stage = await store.unendedStage(batchId);
    if (stage === 'settled' || (await store.pending.isListed(batchId))) return undefined;
    const jobId = stage === 'finalize' ? finalizeJobId(batchId) : `ingest-${batchId}`;
    const jobState = await controlQueue.getJobState(jobId);
    if (liveJobStates.has(jobState)) return undefined;
    if (stage === 'ingest') {
      const failure = await this.options.ingester.fail(batchId, { kind: 'lost' });
      if (failure.outcome === 'ended') return undefined;
      if (failure.outcome !== 'finalize')
        return { batchId, action: 'ingest_failed', jobState, linesNotRun: 0 };
      const { notRun: linesNotRun, stopReason } = failure;
      return { batchId, action: 'ingest_failed', jobState, linesNotRun, stopReason };
    }
    if (jobState !== 'unknown') await controlQueue.remove(jobId);
    await queueFinalize(controlQueue, batchId);
    return { batchId, action: 'finalize_requeued', jobState, linesNotRun: 0 };
  }
}
