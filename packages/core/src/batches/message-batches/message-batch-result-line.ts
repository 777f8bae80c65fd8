import type Anthropic from '@anthropic-ai/sdk';
import { anthropicErrorType } from '../../dialects/anthropic-messages/anthropic-error-type';

/** One line of a Message Batch's results (`GET /v1/messages/batches/:id/results`). */
export type MessageBatchResultLine = Anthropic.Messages.MessageBatchIndividualResponse;

/** A line as the batch machinery stores it (see `batch-output-line.ts`). */
interface StoredBatchLine {
  custom_id: string;
  response: { status_code: number; request_id?: string; body?: unknown } | null;
  error: { code: string; message: string } | null;
}

/**
 * Anthropic's `error.type` for a line that failed without a provider HTTP status: the
 * request's own faults are `invalid_request_error`, the rest say which limit or failure it hit.
 */
const errorTypeOfFailure: ReadonlyMap<string, string> = new Map([
  ['unsupported_parameter', 'invalid_request_error'],
  ['provider_bad_request', 'invalid_request_error'],
  ['provider_unprocessable', 'invalid_request_error'],
  ['context_window_exceeded', 'invalid_request_error'],
  ['model_capability_missing', 'invalid_request_error'],
  ['content_filtered', 'invalid_request_error'],
  ['input_rejected', 'invalid_request_error'],
  ['output_rejected', 'invalid_request_error'],
  ['cost_limit_exceeded', 'invalid_request_error'],
  ['provider_rate_limited', 'rate_limit_error'],
  ['provider_overloaded', 'overloaded_error'],
  ['provider_timeout', 'timeout_error'],
  ['provider_authentication_failed', 'authentication_error'],
  ['provider_permission_denied', 'permission_error'],
  ['provider_model_not_found', 'not_found_error'],
  ['budget_exceeded', 'billing_error'],
]);

/** An `errored` result: Anthropic's error response, with the request id when one is known. */
export function erroredResult(
  customId: string,
  error: { type: string; message: string },
  requestId: string | null = null,
): MessageBatchResultLine {
  return {
    custom_id: customId,
    result: {
      type: 'errored',
      error: {
        type: 'error',
        // Anthropic's error types are a closed union in the SDK; ours come from the same list.
        error: error as Anthropic.ErrorObject,
        request_id: requestId,
      },
    },
  };
}

/**
 * Turns one stored line of a Message Batch (its output or error file) into Anthropic's result
 * line: an answer is `succeeded` with the Anthropic message the worker wrote, a line skipped
 * by a cancel `canceled`, by the deadline `expired`, by its batch failing `errored`
 * (`api_error`), and a failure `errored` with Anthropic's error type (from the provider's
 * HTTP status, else from llmq's failure code).
 */
export function toMessageBatchResultLine(stored: string): MessageBatchResultLine {
  const line = JSON.parse(stored) as StoredBatchLine;
  const customId = line.custom_id;
  if (line.error === null && line.response?.status_code === 200)
    return {
      custom_id: customId,
      result: { type: 'succeeded', message: line.response.body as Anthropic.Message },
    };
  // An HTTP answer written in Anthropic's words (a failed call's status, an output limit over
  // the model's most, see `failedBatchLine`, `outputLimitBatchLine`): its error, as
  // Anthropic's `errored` result carries it.
  const answered = anthropicErrorOf(line.response?.body);
  if (line.error === null && answered !== undefined)
    return erroredResult(customId, answered, line.response?.request_id ?? null);
  const error = line.error ?? { code: 'provider_error', message: 'the request failed' };
  if (error.code === 'batch_cancelled')
    return { custom_id: customId, result: { type: 'canceled' } };
  if (error.code === 'batch_expired') return { custom_id: customId, result: { type: 'expired' } };
  // Not run (or its answer dropped) because the batch's ingest gave up: llmq's fault.
  if (error.code === 'batch_failed')
    return erroredResult(customId, { type: 'api_error', message: error.message });
  // A line stored before HTTP failures were written with `error` null (its `error` and
  // `response` both set): Anthropic's type from the status.
  const type =
    line.response?.status_code !== undefined
      ? anthropicErrorType(line.response.status_code)
      : (errorTypeOfFailure.get(error.code) ?? 'api_error');
  return erroredResult(
    customId,
    { type, message: error.message },
    line.response?.request_id ?? null,
  );
}

/** The inner error of an Anthropic error body (`{type: "error", error: {type, message}}`). */
function anthropicErrorOf(body: unknown): { type: string; message: string } | undefined {
  const { type, error } = (body ?? {}) as { type?: unknown; error?: unknown };
  if (type !== 'error' || typeof error !== 'object' || error === null) return undefined;
  const inner = error as { type?: unknown; message?: unknown };
  return typeof inner.type === 'string' && typeof inner.message === 'string'
    ? { type: inner.type, message: inner.message }
    : undefined;
}
