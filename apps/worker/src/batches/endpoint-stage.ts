import {
  type AttemptRecord,
  type BatchedModelCalls,
  type EndpointLineJobData,
  type JobFailure,
  type LineCallOutcome,
  type ModelCatalog,
  type ModelEntry,
  type RetryPolicy,
  toEmbeddingsBody,
  toTextCompletionBody,
} from '@llmq/core';
import { describeFailure, type StageOutcome } from '@llmq/runner';
import type { Context } from '@opentelemetry/api';
import type { RenderedLine } from './line-sink';

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

/** The line's catalog entry, or why it cannot serve the line's endpoint now. */
export function resolveEntry(
  catalog: ModelCatalog,
  data: EndpointLineJobData,
): { entry: ModelEntry } | { failure: JobFailure } {
  const entry = catalog.resolve(data.model);
  if (!entry)
    return {
      failure: {
        code: 'model_unavailable',
        message: `model "${data.model}" is no longer in the catalog`,
      },
    };
  const reason = catalog.unavailability(
    entry,
    data.endpoint === '/v1/embeddings' ? 'embeddings' : 'completions',
  );
  if (!reason) return { entry };
  return {
    failure: {
      code: 'model_unavailable',
      message: `model "${entry.id}" cannot serve ${data.endpoint} here (${reason.replace(/_/g, ' ')})`,
    },
  };
}

/** The line's share of a micro-batched call, rendered as its output-file body. */
export async function callEndpoint(
  options: {
    calls: BatchedModelCalls;
    policy: Pick<RetryPolicy, 'maxInlineWaitMs' | 'maxRetriesPerModel'>;
  },
  entry: ModelEntry,
  line: EndpointLineJobData,
  requestId: string,
  context: Context,
): Promise<StageOutcome<RenderedLine>> {
  const previous = line.progress?.attempts ?? [];
  if (line.endpoint === '/v1/embeddings') {
    const { encodingFormat } = line.embedding;
    const outcome = await options.calls.embed(entry, line.embedding, requestId, context);
    return endpointStageOutcome(
      renderShare(outcome, (answer) => ({
        body: toEmbeddingsBody(answer, encodingFormat),
        usage: { inputTokens: answer.inputTokens, outputTokens: 0 },
      })),
      previous,
      options.policy,
    );
  }
  const outcome = await options.calls.complete(entry, line.completion, requestId, context);
  return endpointStageOutcome(
    renderShare(outcome, (answer) => ({
      body: toTextCompletionBody(answer, Date.now()),
      usage: { inputTokens: answer.inputTokens, outputTokens: answer.outputTokens },
    })),
    previous,
    options.policy,
  );
}

/** A line's share of a call with its answer rendered for the output file. */
function renderShare<Answer>(
  outcome: LineCallOutcome<Answer>,
  render: (answer: Answer) => RenderedLine,
): LineCallOutcome<RenderedLine> {
  return outcome.ok ? { ...outcome, answer: render(outcome.answer) } : outcome;
}
