import type { IncomingHttpHeaders } from 'node:http';
import type { Dialect, SimulatedError } from '../model-call/dialect';

/** The google.rpc status name Google APIs send with each HTTP status. */
function statusName(status: number): string {
  switch (status) {
    case 400:
    case 413:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 405:
      return 'UNIMPLEMENTED';
    case 409:
      return 'ABORTED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 503:
    case 529:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

/** Google's `Duration` JSON: seconds with up to 9 decimals and an `s`, e.g. `1.5s`. */
function formatDuration(milliseconds: number): string {
  return `${Number((milliseconds / 1000).toFixed(3))}s`;
}

/**
 * The Gemini API's wire conventions: the key in `x-goog-api-key` (or an OAuth bearer token),
 * no request-id header, and Google's error shape `{error: {code, message, status, details}}`,
 * where a 429 or 503 says how long to wait in a `google.rpc.RetryInfo` detail.
 */
export const geminiDialect: Dialect = {
  name: 'gemini',
  requestIdHeader: null,
  unauthorizedMessage:
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  createRequestId: () => crypto.randomUUID(),
  isAuthorized(headers: IncomingHttpHeaders): boolean {
    const apiKey = headers['x-goog-api-key'];
    if (typeof apiKey === 'string' && apiKey.trim().length > 0) return true;
    const authorization = headers.authorization;
    return typeof authorization === 'string' && /^Bearer\s+\S/i.test(authorization);
  },
  formatError(error: SimulatedError): string {
    const details: object[] = [];
    if (error.retryAfterMs !== undefined) {
      details.push({
        '@type': 'type.googleapis.com/google.rpc.RetryInfo',
        retryDelay: formatDuration(error.retryAfterMs),
      });
    }
    if (error.status === 400 && error.param) {
      details.push({
        '@type': 'type.googleapis.com/google.rpc.BadRequest',
        fieldViolations: [{ field: error.param, description: error.message }],
      });
    }
    return JSON.stringify({
      error: {
        code: error.status,
        message: error.message,
        status: statusName(error.status),
        ...(details.length > 0 ? { details } : {}),
      },
    });
  },
};
