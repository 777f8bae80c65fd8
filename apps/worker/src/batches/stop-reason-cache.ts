import type { BatchStopReason, BatchStore } from '@llmq/core';

/** How long a batch's stop reason is trusted, ms: the delay before a cancel reaches running lines. */
const stopReasonCacheMs = 200;

/**
 * A batch's stop reason (cancelled, expired), read at most every 200 ms per batch: saves a
 * Redis round trip per line, at the price of a cancel reaching running lines that much later.
 * Shared by the chat and the embeddings/completions line pipelines of one process.
 */
export function createStopReasonCache(batches: Pick<BatchStore, 'stopReason'>) {
  const stopReasons = new Map<string, { reason: BatchStopReason | undefined; readAt: number }>();
  return async function stopReasonOf(batchId: string): Promise<BatchStopReason | undefined> {
    const cached = stopReasons.get(batchId);
    if (cached && Date.now() - cached.readAt < stopReasonCacheMs) return cached.reason;
    const reason = await batches.stopReason(batchId);
    if (stopReasons.size > 1000) stopReasons.clear();
    stopReasons.set(batchId, { reason, readAt: Date.now() });
    return reason;
  };
}
