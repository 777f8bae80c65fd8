/** What an error answer says, in any dialect (a `ClientError` is one). */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/**
 * The JSON shape an error is answered in. Every shape keeps llmq's `code` and `message`
 * (and `details`); the compatible endpoints add what the official SDKs read:
 * - `openai` (`/v1/chat/completions`, `/v1/responses`): `{ error: { message, type, param, code, details? } }`,
 *   as OpenAI answers, so `openai`'s `APIError` carries our `code`, `type` and `param`.
 * - `anthropic` (`/v1/messages`): `{ type: "error", error: { type, message, code, details? } }`,
 *   as Anthropic answers.
 */
export type ErrorDialect = 'llmq' | 'openai' | 'anthropic';

/** Which dialect a request path speaks. */
export function errorDialectFor(path: string): ErrorDialect {
  if (path === '/v1/chat/completions' || path.startsWith('/v1/chat/completions/')) return 'openai';
  if (path === '/v1/responses' || path.startsWith('/v1/responses/')) return 'openai';
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return 'anthropic';
  return 'llmq';
}

/** OpenAI's `error.type` for a status. */
export function openaiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Anthropic's `error.type` for a status. */
export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'billing_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** The body of an error answer in the given dialect. */
export function formatErrorBody(
  error: ErrorAnswer,
  dialect: ErrorDialect,
): Record<string, unknown> {
  const details = error.details !== undefined ? { details: error.details } : {};
  switch (dialect) {
    case 'llmq':
      return { error: { code: error.code, message: error.message, ...details } };
    case 'openai':
      return {
        error: {
          message: error.message,
          type: openaiErrorType(error.status),
          param: firstIssuePath(error.details),
          code: error.code,
          ...details,
        },
      };
    case 'anthropic':
      return {
        type: 'error',
        error: {
          type: anthropicErrorType(error.status),
          message: error.message,
          code: error.code,
          ...details,
        },
      };
    default: {
      const unreachable: never = dialect;
      return unreachable;
    }
  }
}

function firstIssuePath(details: unknown): string | null {
  const issues = (details as { issues?: Array<{ path?: unknown }> } | undefined)?.issues;
  const path = issues?.[0]?.path;
  return typeof path === 'string' && path !== '' ? path : null;
}
