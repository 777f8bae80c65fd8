import type {
  BatchLineJobData,
  BatchStopReason,
  BatchStore,
  LedgerWrite,
  LlmqMetrics,
  RecordLineResult,
  TokenCounts,
} from '@llmq/core';
import { queueFinalize } from '@llmq/core';
import type { Queue } from 'bullmq';

/** Where a batch line's end is recorded. */
export interface BatchLineRecorder {
  batches: BatchStore;
  /** The `batch-control` queue, where the last line of a batch queues its finalisation. */
  controlQueue: Queue;
  metrics?: LlmqMetrics;
}

/**
 * Records a line's outcome once (the batch store's done bitmap is the single final write of a
 * line); the line that ends the batch queues its finalisation. A duplicate (the line was
 * recorded by an earlier attempt that then failed to queue the finalisation) checks whether
 * the batch still waits for one. `llm_batch_requests_total` counts only first records (a line
 * `billed` after its batch's ingest gave up was counted as `batch_failed` then).
 * `rerunLedger` bills this run's own calls when an earlier run recorded the line (a re-run
 * after a crash between the record and BullMQ's completion calls the provider again).
 * Returns what recording did (`duplicate`, `rebilled`: an earlier run recorded the line).
 */
export async function finishBatchLine(
  options: BatchLineRecorder,
  data: Pick<BatchLineJobData, 'batchId' | 'index'>,
  outcome: 'completed' | 'failed' | { skipped: BatchStopReason },
  line: string,
  usage?: TokenCounts,
  ledger?: LedgerWrite,
  rerunLedger?: LedgerWrite,
): Promise<RecordLineResult> {
  const stored = typeof outcome === 'string' ? outcome : 'skipped';
  const result = await options.batches.recordLine(
    data.batchId,
    data.index,
    stored,
    line,
    usage,
    undefined,
    ledger,
    rerunLedger,
  );
  if (result === 'recorded' || result === 'last')
    options.metrics?.batchRequests.inc({ outcome: outcomeLabel(outcome) });
  if (result === 'last') {
    await queueFinalize(options.controlQueue, data.batchId);
    return result;
  }
  const recordedBefore = result === 'duplicate' || result === 'rebilled';
  if (recordedBefore && (await awaitsFinalisation(options.batches, data.batchId)))
    await queueFinalize(options.controlQueue, data.batchId);
  return result;
}

/**
 * The `outcome` label of `llm_batch_requests_total`: how the line ended, or why it never ran
 * (`batch_failed`, apart from `failed`: a line that ran and failed).
 */
function outcomeLabel(outcome: 'completed' | 'failed' | { skipped: BatchStopReason }): string {
  if (typeof outcome === 'string') return outcome;
  return notRunOutcomeLabel(outcome.skipped);
}

/** The `outcome` label of `llm_batch_requests_total` for lines not run because of `reason`. */
export function notRunOutcomeLabel(reason: BatchStopReason): string {
  return reason === 'failed' ? 'batch_failed' : reason;
}

/** Whether every line of a running batch is recorded, so it only waits for its finalisation. */
async function awaitsFinalisation(batches: BatchStore, batchId: string): Promise<boolean> {
  const batch = await batches.get(batchId);
  if (!batch || !['in_progress', 'finalizing', 'cancelling'].includes(batch.status)) return false;
  const { total, completed, failed, skipped } = batch.counts;
  return completed + failed + skipped >= total;
}
