import type { AttemptRecord, LineCallOutcome, RetryPolicy } from '@llmq/core';
import { describeFailure } from '../pipeline/describe-failure';
import type { StageOutcome } from '../pipeline/job-runner';

/**
 * What a line's share of a micro-batched call means for the job runner. `previous` are the
 * calls of the line's earlier attempts (listed first, so the line's accounting continues).
 * A spent rate limit, or a Retry-After longer than `maxInlineWaitMs`, parks the line; the
 * long waits are bounded (`maxRetriesPerModel + 1`, as often as a chat chain retries a model)
 * so a model that always asks to wait ends in the attempts' own accounting.
 */
export function endpointStageOutcome<Answer>(
  outcome: LineCallOutcome<Answer>,
  previous: readonly AttemptRecord[],
  policy: Pick<RetryPolicy, 'maxInlineWaitMs' | 'maxRetriesPerModel'>,
): StageOutcome<Answer> {
  const attempts = [...previous, ...outcome.attempts];
  if (outcome.ok) return { kind: 'success', answer: outcome.answer, attempts };
  const { failure, retryable, retryAfterMs } = describeFailure(outcome.error, attempts);
  if (outcome.throttled)
    return {
      kind: 'wait',
      delayMs: outcome.throttled.waitMs,
      attempts,
      reason: outcome.throttled.reason,
      failure,
    };
  const longWaits = attempts.filter(
    (attempt) =>
      attempt.outcome === 'error' && (attempt.retry_after_ms ?? 0) > policy.maxInlineWaitMs,
  ).length;
  if (
    retryable &&
    retryAfterMs !== undefined &&
    retryAfterMs > policy.maxInlineWaitMs &&
    longWaits <= policy.maxRetriesPerModel + 1
  )
    return { kind: 'wait', delayMs: retryAfterMs, attempts, failure };
  return { kind: 'failed', error: outcome.error, retryable, attempts };
}
