import type { IncomingHttpHeaders } from 'node:http';
import { randomIdSuffix } from '../model-call/create-id';
import type { Dialect, SimulatedError } from '../model-call/dialect';

/** OpenAI's error `type` for each status the simulator answers with. */
function errorType(status: number): string {
  if (status === 429) return 'requests';
  if (status === 529) return 'overloaded_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** OpenAI's wire conventions: bearer tokens, `x-request-id`, `{error: {message, type, param, code}}`. */
export const openAiDialect: Dialect = {
  name: 'openai',
  requestIdHeader: 'x-request-id',
  unauthorizedMessage:
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  createRequestId: () => `req_${randomIdSuffix(32)}`,
  isAuthorized(headers: IncomingHttpHeaders): boolean {
    const authorization = headers.authorization;
    return typeof authorization === 'string' && /^Bearer\s+\S/i.test(authorization);
  },
  formatError(error: SimulatedError): string {
    if (error.body !== undefined) return JSON.stringify(error.body);
    return JSON.stringify({
      error: {
        message: error.message,
        type: errorType(error.status),
        param: error.param ?? null,
        code: error.code ?? null,
      },
    });
  },
};
