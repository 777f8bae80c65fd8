import type Anthropic from '@anthropic-ai/sdk';
import type { BatchRecord, BatchStatus } from '../batch-record';

/** Anthropic's `processing_status` for each of our batch statuses. */
function processingStatusOf(
  status: BatchStatus,
): Anthropic.Messages.MessageBatch['processing_status'] {
  switch (status) {
    case 'validating':
    case 'in_progress':
    case 'finalizing':
      return 'in_progress';
    case 'cancelling':
      return 'canceling';
    case 'completed':
    case 'failed':
    case 'expired':
    case 'cancelled':
      return 'ended';
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

function rfc3339(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString();
}

/**
 * A batch's `request_counts` in Anthropic's words. Lines skipped because the batch stopped
 * count as `canceled` or `expired` by its stop reason, and so do the requests of a batch
 * stopped before its lines were queued (no line ran, none was recorded); a batch that failed
 * (its budget refused it, or its ingest gave up) counts the answers its lines gave before
 * `succeeded` and every other request `errored`.
 */
export function messageBatchRequestCounts(
  batch: BatchRecord,
): Anthropic.Messages.MessageBatchRequestCounts {
  const { total, completed, failed, skipped } = batch.counts;
  if (batch.status === 'failed')
    return {
      processing: 0,
      succeeded: completed,
      errored: Math.max(0, total - completed),
      canceled: 0,
      expired: 0,
    };
  const unrecorded = Math.max(0, total - completed - failed - skipped);
  const ended = processingStatusOf(batch.status) === 'ended';
  const stopped = skipped + (ended ? unrecorded : 0);
  return {
    processing: ended ? 0 : unrecorded,
    succeeded: completed,
    // A failed batch's lines not run, while it finalises.
    errored: failed + (batch.stopReason === 'failed' ? stopped : 0),
    canceled: batch.stopReason === 'cancelled' ? stopped : 0,
    expired: batch.stopReason === 'expired' ? stopped : 0,
  };
}

/**
 * Where a Message Batch's results are served, as a path on the API (`results_url` is this
 * path behind the origin the client reached the API at; a webhook, sent without a request to
 * take the origin from, carries the path alone).
 */
export function messageBatchResultsPath(batchId: string): string {
  return `/v1/messages/batches/${batchId}/results`;
}

/**
 * The Anthropic `message_batch` object of a batch (RFC 3339 times). `resultsUrl` is where its
 * results are served; it is shown once the batch has ended, as Anthropic does.
 */
export function toMessageBatchView(
  batch: BatchRecord,
  resultsUrl: string,
): Anthropic.Messages.MessageBatch {
  const processingStatus = processingStatusOf(batch.status);
  const endedAt = batch.completedAt ?? batch.cancelledAt ?? batch.expiredAt ?? batch.failedAt;
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: processingStatus,
    request_counts: messageBatchRequestCounts(batch),
    ended_at: processingStatus === 'ended' ? rfc3339(endedAt) : null,
    created_at: new Date(batch.createdAt).toISOString(),
    expires_at: new Date(batch.expiresAt).toISOString(),
    archived_at: null,
    cancel_initiated_at: rfc3339(batch.cancellingAt),
    results_url: processingStatus === 'ended' ? resultsUrl : null,
  };
}
