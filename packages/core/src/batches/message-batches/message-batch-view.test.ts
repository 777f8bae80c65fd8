import type { BatchRecord } from '../batch-record';
import { toMessageBatchView } from './message-batch-view';

const createdAt = Date.parse('2026-12-06T09:00:00.000Z');

function record(fields: Partial<BatchRecord> = {}): BatchRecord {
  return {
    id: 'msgbatch_0123456789abcdef0123456789abcdef',
    tenant: 't',
    endpoint: '/v1/messages',
    inputFileId: 'file-in',
    completionWindow: '24h',
    status: 'in_progress',
    createdAt,
    expiresAt: createdAt + 86_400_000,
    counts: { total: 10, completed: 3, failed: 1, skipped: 0 },
    usage: { inputTokens: 0, outputTokens: 0 },
    reservedOutputFileId: 'file-out',
    reservedErrorFileId: 'file-err',
    linesEnqueued: true,
    ...fields,
  };
}

const url = 'http://llmq.test/v1/messages/batches/x/results';

test('a running batch: in_progress, the unfinished requests processing, no results_url', () => {
  expect(toMessageBatchView(record(), url)).toEqual({
    id: 'msgbatch_0123456789abcdef0123456789abcdef',
    type: 'message_batch',
    processing_status: 'in_progress',
    request_counts: { processing: 6, succeeded: 3, errored: 1, canceled: 0, expired: 0 },
    ended_at: null,
    created_at: '2026-12-06T09:00:00.000Z',
    expires_at: '2026-12-07T09:00:00.000Z',
    archived_at: null,
    cancel_initiated_at: null,
    results_url: null,
  });
  expect(toMessageBatchView(record({ status: 'validating' }), url).processing_status).toBe(
    'in_progress',
  );
  expect(toMessageBatchView(record({ status: 'finalizing' }), url).processing_status).toBe(
    'in_progress',
  );
});

test('a cancelling batch is canceling; once cancelled, ended with skipped and unrun requests canceled', () => {
  const cancellingAt = createdAt + 1000;
  const cancelling = record({ status: 'cancelling', cancellingAt, stopReason: 'cancelled' });
  expect(toMessageBatchView(cancelling, url)).toMatchObject({
    processing_status: 'canceling',
    cancel_initiated_at: '2026-12-06T09:00:01.000Z',
    results_url: null,
  });
  const cancelled = record({
    status: 'cancelled',
    cancellingAt,
    cancelledAt: createdAt + 2000,
    stopReason: 'cancelled',
    counts: { total: 10, completed: 3, failed: 1, skipped: 4 },
    linesEnqueued: false,
  });
  expect(toMessageBatchView(cancelled, url)).toMatchObject({
    processing_status: 'ended',
    // Two requests were never recorded (the batch stopped first): canceled too.
    request_counts: { processing: 0, succeeded: 3, errored: 1, canceled: 6, expired: 0 },
    ended_at: '2026-12-06T09:00:02.000Z',
    results_url: url,
  });
});

test('an expired batch counts its skipped requests expired; a completed one has its results_url', () => {
  const expired = record({
    status: 'expired',
    expiredAt: createdAt + 5000,
    stopReason: 'expired',
    counts: { total: 10, completed: 3, failed: 1, skipped: 6 },
  });
  expect(toMessageBatchView(expired, url).request_counts).toEqual({
    processing: 0,
    succeeded: 3,
    errored: 1,
    canceled: 0,
    expired: 6,
  });
  const completed = record({
    status: 'completed',
    completedAt: createdAt + 3000,
    counts: { total: 4, completed: 3, failed: 1, skipped: 0 },
  });
  expect(toMessageBatchView(completed, url)).toMatchObject({
    processing_status: 'ended',
    ended_at: '2026-12-06T09:00:03.000Z',
    results_url: url,
    request_counts: { processing: 0, succeeded: 3, errored: 1, canceled: 0, expired: 0 },
  });
});

test('a batch refused before running (its budget) ended with every request errored', () => {
  const failed = record({
    status: 'failed',
    failedAt: createdAt + 10,
    counts: { total: 10, completed: 0, failed: 0, skipped: 0 },
  });
  expect(toMessageBatchView(failed, url)).toMatchObject({
    processing_status: 'ended',
    request_counts: { processing: 0, succeeded: 0, errored: 10, canceled: 0, expired: 0 },
    results_url: url,
  });
});

test('a batch whose ingest gave up after some answers counts them succeeded, the rest errored', () => {
  const failed = record({
    status: 'failed',
    failedAt: createdAt + 10,
    stopReason: 'failed',
    counts: { total: 10, completed: 3, failed: 1, skipped: 6 },
  });
  expect(toMessageBatchView(failed, url)).toMatchObject({
    processing_status: 'ended',
    request_counts: { processing: 0, succeeded: 3, errored: 7, canceled: 0, expired: 0 },
  });
  // While it finalises, the requests not run count as errored already, never as canceled.
  expect(
    toMessageBatchView({ ...failed, status: 'finalizing', failedAt: undefined }, url),
  ).toMatchObject({
    processing_status: 'in_progress',
    request_counts: { processing: 0, succeeded: 3, errored: 7, canceled: 0, expired: 0 },
  });
});
