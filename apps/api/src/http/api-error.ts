import {
  ClientError,
  isClientError,
  isInputRejectedError,
  isRedisUnavailableError,
  isUnsupportedParameterError,
  type Logger,
} from '@llmq/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { errorAnswerBody } from './error-dialect';

/** Translates anything thrown into the JSON error format; a 500 is logged as a bug. */
export function toClientError(error: unknown): ClientError {
  if (isClientError(error)) return error;
  if (isUnsupportedParameterError(error)) {
    return new ClientError('unsupported_parameter', error.message, {
      parameter: error.parameter,
      model: error.model,
    });
  }
  if (isInputRejectedError(error)) {
    return new ClientError('input_rejected', error.message, { findings: error.findings });
  }
  if (error instanceof z.ZodError) {
    return new ClientError('invalid_request', describeZodError(error), {
      issues: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  // body-parser errors carry a `type` and a `status`.
  const bodyError = error as { type?: string; status?: number };
  if (bodyError?.type === 'entity.parse.failed')
    return new ClientError('invalid_json', 'the request body is not valid JSON');
  if (bodyError?.type === 'entity.too.large') {
    return new ClientError(
      'payload_too_large',
      'the request body is larger than the configured limit',
    );
  }
  if (bodyError?.type === 'charset.unsupported' || bodyError?.type === 'encoding.unsupported') {
    return new ClientError('unsupported_media_type', 'unsupported body encoding or charset');
  }
  if (typeof bodyError?.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
    return new ClientError('invalid_request', 'the request could not be read');
  }
  if (isRedisUnavailableError(error)) {
    return new ClientError(
      'redis_unavailable',
      'the job store is unavailable; retry shortly',
      undefined,
      {
        'Retry-After': '1',
      },
    );
  }
  return new ClientError('internal_error', 'an internal error occurred');
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
    const clientError = toClientError(error);
    // Redis being down is logged once per outage by the connection's watcher, not per request.
    if (clientError.status >= 500 && clientError.code !== 'redis_unavailable') {
      logger.error('request-error', {
        event: 'request-error',
        request_id: response.locals.requestId,
        method: request.method,
        path: request.path,
        code: clientError.code,
        // An answer of ours (a `job_failed` 502, a timeout) is logged by its code: its message,
        // the client's to read, may relay a provider's error text, which can quote the prompt.
        ...(isClientError(error) ? {} : { error: describeUnexpected(error) }),
      });
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(clientError.headers ?? {}))
      response.setHeader(name, value);
    // A job exists for this request (a sync request that failed after submitting it): the
    // official SDKs retry 408, 409, 429 and 5xx unless told not to, and a retry would queue
    // and bill the same prompt again. The job id is in `x-llmq-job-id`; poll it instead.
    if (response.locals.jobId) response.setHeader('x-should-retry', 'false');
    response.status(clientError.status).json(errorAnswerBody(clientError, request, response));
  };
}

/** What the log says of an unexpected error (a bug): its name and message. */
function describeUnexpected(error: unknown): { name: string; message: string } | string {
  return error instanceof Error ? { name: error.name, message: error.message } : String(error);
}

/** 404 for any path no route matched. */
export const notFound: RequestHandler = (request) => {
  throw new ClientError('not_found', `no route for ${request.method} ${request.path}`);
};

/** 405 for a known path with a method it does not take. */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (request) => {
    throw new ClientError(
      'method_not_allowed',
      `${request.method} is not allowed here; use ${allowed.join(', ')}`,
      undefined,
      {
        Allow: allowed.join(', '),
      },
    );
  };
}
