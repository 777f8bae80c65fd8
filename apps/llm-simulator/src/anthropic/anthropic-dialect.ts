import type { IncomingHttpHeaders } from 'node:http';
import { randomIdSuffix } from '../model-call/create-id';
import type { Dialect, SimulatedError } from '../model-call/dialect';

/** Anthropic's error `type` for each status the simulator answers with. */
function errorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** Anthropic's wire conventions: `x-api-key` (or a bearer token), `request-id`, `{type: 'error', error: {type, message}}`. */
export const anthropicDialect: Dialect = {
  name: 'anthropic',
  requestIdHeader: 'request-id',
  unauthorizedMessage: 'x-api-key header is required',
  createRequestId: () => `req_01${randomIdSuffix(22)}`,
  // The API documents `x-api-key`, but @anthropic-ai/sdk 1.x sends the key as a bearer token,
  // so either credential is accepted.
  isAuthorized(headers: IncomingHttpHeaders): boolean {
    const apiKey = headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.trim().length > 0) return true;
    const authorization = headers.authorization;
    return typeof authorization === 'string' && /^Bearer\s+\S/i.test(authorization);
  },
  formatError(error: SimulatedError, requestId: string): string {
    return JSON.stringify({
      type: 'error',
      error: { type: errorType(error.status), message: error.message },
      request_id: requestId,
    });
  },
};
