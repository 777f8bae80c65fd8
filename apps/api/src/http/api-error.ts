import {
  type BatchRequestErrorCode,
  isBatchRequestError,
  isInputRejectedError,
  isRedisUnavailableError,
  isSubmitError,
  type Logger,
  type SubmitErrorCode,
} from '@llmq/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { errorDialectFor, formatErrorBody } from './error-dialect';

/** Closed set of error codes the API answers with. */
export const apiErrorCodeSchema = z.enum([
  'invalid_json',
  'invalid_request',
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
  'model_unavailable',
  'context_window_exceeded',
  'cost_limit_exceeded',
  'invalid_hedge',
  'budget_exceeded',
  'job_not_retryable',
  'idempotency_key_reused',
  'invalid_idempotency_key',
  'idempotency_request_in_progress',
  'file_not_found',
  'invalid_file',
  'file_too_large',
  'too_many_lines',
  'unsupported_endpoint',
  'invalid_completion_window',
  'batch_not_found',
  'batch_not_cancellable',
  'webhook_url_not_allowed',
  'webhook_endpoint_not_found',
  'webhook_delivery_not_found',
  'redis_unavailable',
  'job_wait_timeout',
  'job_failed',
  'job_cancelled',
  'unsupported_parameter',
  'rate_limited',
  'internal_error',
]);
export type ApiErrorCode = z.infer<typeof apiErrorCodeSchema>;

/** An error answered as `{ error: { code, message, details? } }` with its HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

function statusForSubmitError(code: SubmitErrorCode): number {
  switch (code) {
    case 'unknown_model':
    case 'model_unavailable':
    case 'context_window_exceeded':
    case 'cost_limit_exceeded':
    case 'invalid_hedge':
      return 400;
    case 'idempotency_key_reused':
      return 422;
    // 402, not 429: SDKs retry a 429 with backoff, but a spent budget does not come back
    // until the next day or month; 402 says "a spending limit" and is not retried.
    case 'budget_exceeded':
      return 402;
    case 'webhook_url_not_allowed':
      return 400;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

function statusForBatchRequestError(code: BatchRequestErrorCode): number {
  switch (code) {
    case 'file_not_found':
    case 'batch_not_found':
      return 404;
    case 'batch_not_cancellable':
      return 409;
    case 'file_too_large':
      return 413;
    case 'invalid_file':
    case 'too_many_lines':
    case 'unsupported_endpoint':
    case 'invalid_completion_window':
      return 400;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/** Translates anything thrown into the JSON error format; a 500 is logged as a bug. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isSubmitError(error))
    return new ApiError(statusForSubmitError(error.code), error.code, error.message, error.details);
  if (isInputRejectedError(error)) {
    return new ApiError(400, 'input_rejected', error.message, { findings: error.findings });
  }
  if (isBatchRequestError(error)) {
    return new ApiError(
      statusForBatchRequestError(error.code),
      error.code,
      error.message,
      error.details,
    );
  }
  if (error instanceof z.ZodError) {
    return new ApiError(400, 'invalid_request', describeZodError(error), {
      issues: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  // body-parser errors carry a `type` and a `status`.
  const bodyError = error as { type?: string; status?: number };
  if (bodyError?.type === 'entity.parse.failed')
    return new ApiError(400, 'invalid_json', 'the request body is not valid JSON');
  if (bodyError?.type === 'entity.too.large') {
    return new ApiError(
      413,
      'payload_too_large',
      'the request body is larger than the configured limit',
    );
  }
  if (bodyError?.type === 'charset.unsupported' || bodyError?.type === 'encoding.unsupported') {
    return new ApiError(415, 'unsupported_media_type', 'unsupported body encoding or charset');
  }
  if (typeof bodyError?.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
    return new ApiError(400, 'invalid_request', 'the request could not be read');
  }
  if (isRedisUnavailableError(error)) {
    return new ApiError(
      503,
      'redis_unavailable',
      'the job store is unavailable; retry shortly',
      undefined,
      {
        'Retry-After': '1',
      },
    );
  }
  return new ApiError(500, 'internal_error', 'an internal error occurred');
}

export function describeZodError(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid request';
  const where = first.path.length > 0 ? `"${first.path.join('.')}": ` : '';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${where}${first.message}${more}`;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, request, response, _next) => {
    const apiError = toApiError(error);
    // Redis being down is logged once per outage by the connection's watcher, not per request.
    if (apiError.status >= 500 && apiError.code !== 'redis_unavailable') {
      logger.error('request-error', {
        event: 'request-error',
        request_id: response.locals.requestId,
        method: request.method,
        path: request.path,
        code: apiError.code,
        error:
          error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(apiError.headers ?? {}))
      response.setHeader(name, value);
    response.status(apiError.status).json(formatErrorBody(apiError, errorDialectFor(request.path)));
  };
}

/** 404 for any path no route matched. */
export const notFound: RequestHandler = (request) => {
  throw new ApiError(404, 'not_found', `no route for ${request.method} ${request.path}`);
};

/** 405 for a known path with a method it does not take. */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (request) => {
    throw new ApiError(
      405,
      'method_not_allowed',
      `${request.method} is not allowed here; use ${allowed.join(', ')}`,
      undefined,
      {
        Allow: allowed.join(', '),
      },
    );
  };
}
