import type { SimulatedError } from '../model-call/dialect';
import type { LineOutcome } from './answer-batch-line';
import { batchProgress, finalOutcomes, type SimulatedBatch } from './simulated-batch';

/** A Message Batch of Anthropic's API as the simulator keeps it. */
export type AnthropicBatch = SimulatedBatch;

const iso = (ms: number) => new Date(ms).toISOString();

/** The Message Batches API's `message_batch` object at `now`. */
export function anthropicBatchObject(
  batch: AnthropicBatch,
  now: number,
  origin: string,
  statusOverride?: 'canceling',
): Record<string, unknown> {
  const progress = batchProgress(batch, now);
  const ended = progress.end !== undefined && statusOverride === undefined;
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : (statusOverride ?? 'in_progress'),
    request_counts: {
      processing: progress.processing,
      succeeded: progress.succeeded,
      errored: progress.errored,
      canceled: progress.canceled,
      expired: progress.expired,
    },
    ended_at: ended && progress.end ? iso(progress.end.at) : null,
    created_at: iso(batch.createdAt),
    expires_at: iso(batch.expiresAt),
    archived_at: null,
    cancel_initiated_at: batch.cancelledAt === undefined ? null : iso(batch.cancelledAt),
    results_url: ended ? `${origin}/v1/messages/batches/${batch.id}/results` : null,
  };
}

/** The results file of an ended batch: one JSON line per request, in input order. */
export function anthropicBatchResults(
  batch: AnthropicBatch,
  now: number,
  formatError: (error: SimulatedError) => string,
): string | undefined {
  const progress = batchProgress(batch, now);
  if (progress.end === undefined) return undefined;
  const lines = finalOutcomes(batch, progress).map(
    (outcome, index) =>
      `{"custom_id":${JSON.stringify((batch.lines[index] as { customId: string }).customId)},"result":${resultOf(outcome, formatError)}}`,
  );
  return `${lines.join('\n')}\n`;
}

function resultOf(outcome: LineOutcome, formatError: (error: SimulatedError) => string): string {
  switch (outcome.kind) {
    case 'succeeded':
      return `{"type":"succeeded","message":${outcome.body}}`;
    case 'errored':
      return `{"type":"errored","error":${formatError(outcome.error)}}`;
    case 'canceled':
      return '{"type":"canceled"}';
    case 'expired':
      return '{"type":"expired"}';
  }
}
