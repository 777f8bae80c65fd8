import { z } from 'zod';

/**
 * Closed set of error codes a client can be answered with, by the API and by core (a refused
 * submit, a refused files or batches request). Adding one makes the compiler ask for its status
 * in {@link clientErrorStatus}.
 */
export const clientErrorCodeSchema = z.enum([
  'invalid_json',
  'invalid_request',
  /**
   * Two fields that cannot be sent together (`max_tokens` and `max_completion_tokens`), as
   * OpenAI names it.
   */
  'invalid_parameter_combination',
  'unsupported_media_type',
  'payload_too_large',
  'missing_api_key',
  'invalid_api_key',
  'insufficient_scope',
  'input_rejected',
  'api_key_not_found',
  'cross_site_request',
  'request_timeout',
  'headers_too_large',
  'invalid_metrics_token',
  'not_found',
  'method_not_allowed',
  'job_not_found',
  'job_not_cancellable',
  'unknown_model',
  /** An unknown model on a compatible endpoint: 404, as OpenAI and Anthropic answer it. */
  'model_not_found',
  'model_unavailable',
  'context_window_exceeded',
  'cost_limit_exceeded',
  /** The model named cannot take a part of the request (tools, images, …), or none can. */
  'model_capability_missing',
  'invalid_hedge',
  'invalid_speculative',
  /** A pinned `service_tier` the model does not offer, or llmq cannot run this work on. */
  'service_tier_unavailable',
  'budget_exceeded',
  'job_not_retryable',
  'idempotency_key_reused',
  'invalid_idempotency_key',
  /** Another request with this Idempotency-Key is still creating its resource. */
  'idempotency_request_in_progress',
  'file_not_found',
  /** A file an unfinished batch was created from: it cannot be deleted yet. */
  'file_in_use',
  'invalid_file',
  'file_too_large',
  'too_many_lines',
  'unsupported_endpoint',
  'invalid_completion_window',
  'batch_not_found',
  'batch_not_cancellable',
  /** A Message Batch is deleted only once it has ended (Anthropic's rule): cancel it first. */
  'batch_still_processing',
  /** A Message Batch's results exist once it has ended (its `results_url` is set then). */
  'batch_results_not_ready',
  'webhook_url_not_allowed',
  'webhook_endpoint_not_found',
  'webhook_delivery_not_found',
  'redis_unavailable',
  'job_wait_timeout',
  'job_failed',
  'job_cancelled',
  /** The job was not started by its deadline (`start_by`); no provider call was made. */
  'deadline_exceeded',
  'unsupported_parameter',
  'rate_limited',
  'internal_error',
]);
export type ClientErrorCode = z.infer<typeof clientErrorCodeSchema>;

/** The HTTP status each code is answered with: the one place that says it. */
export const clientErrorStatus: Readonly<Record<ClientErrorCode, number>> = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_parameter_combination: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  missing_api_key: 401,
  invalid_api_key: 401,
  insufficient_scope: 403,
  input_rejected: 400,
  api_key_not_found: 404,
  cross_site_request: 403,
  // Node's HTTP parser timing out; the API's own handler timeout answers 503 with Retry-After.
  request_timeout: 408,
  headers_too_large: 431,
  invalid_metrics_token: 401,
  not_found: 404,
  method_not_allowed: 405,
  job_not_found: 404,
  job_not_cancellable: 409,
  unknown_model: 400,
  model_not_found: 404,
  model_unavailable: 400,
  context_window_exceeded: 400,
  cost_limit_exceeded: 400,
  model_capability_missing: 400,
  invalid_hedge: 400,
  invalid_speculative: 400,
  service_tier_unavailable: 400,
  // 402, not 429: SDKs retry a 429 with backoff, but a spent budget does not come back
  // until the next day or month; 402 says "a spending limit" and is not retried.
  budget_exceeded: 402,
  job_not_retryable: 409,
  idempotency_key_reused: 422,
  invalid_idempotency_key: 400,
  idempotency_request_in_progress: 409,
  file_not_found: 404,
  file_in_use: 409,
  invalid_file: 400,
  file_too_large: 413,
  too_many_lines: 400,
  unsupported_endpoint: 400,
  invalid_completion_window: 400,
  batch_not_found: 404,
  batch_not_cancellable: 409,
  batch_still_processing: 400,
  batch_results_not_ready: 400,
  webhook_url_not_allowed: 400,
  webhook_endpoint_not_found: 404,
  webhook_delivery_not_found: 404,
  redis_unavailable: 503,
  job_wait_timeout: 504,
  job_failed: 502,
  job_cancelled: 409,
  deadline_exceeded: 504,
  unsupported_parameter: 400,
  rate_limited: 429,
  internal_error: 500,
};

/**
 * An error a client is answered with: `{ error: { code, message, details? } }` at the status
 * {@link clientErrorStatus} gives its code. Core throws it for a request refused for a reason
 * the client can fix; the API throws and answers it. Identify by `name === 'ClientError'`
 * ({@link isClientError}), not `instanceof`.
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  /** HTTP status, from the code. */
  readonly status: number;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** Machine-readable context (zod issues, filter findings, limits). */
    readonly details?: unknown,
    /** Response headers the answer carries (`Retry-After`, `Allow`). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.status = clientErrorStatus[code];
  }
}

export function isClientError(error: unknown): error is ClientError {
  return error instanceof Error && error.name === 'ClientError';
}
