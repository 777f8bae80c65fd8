import { anthropicErrorType } from '@llmq/core';

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
 * - `openai` (`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/responses`, `/v1/models`): `{ error: { message, type, param, code, details? } }`,
 *   as OpenAI answers, so `openai`'s `APIError` carries our `code`, `type` and `param`.
 * - `anthropic` (`/v1/messages` and below; `/v1/models` with an `anthropic-version` header): `{ type: "error", error: { type, message, code, details? } }`,
 *   as Anthropic answers.
 */
export type ErrorDialect = 'llmq' | 'openai' | 'anthropic';

/** Paths that speak OpenAI's dialect (the path itself, or below it). */
const openaiPaths = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses'];

/** Read on every request (its request id header): the comparisons allocate nothing. */
function isAtOrBelow(path: string, base: string): boolean {
  return (
    path.startsWith(base) && (path.length === base.length || path.charCodeAt(base.length) === 47)
  );
}

/**
 * Which dialect a request speaks: by its path, and for the models routes, which both SDKs
 * call, by the `anthropic-version` header that only Anthropic's SDK sends.
 */
export function errorDialectFor(request: {
  path: string;
  headers: Record<string, string | string[] | undefined>;
}): ErrorDialect {
  const { path } = request;
  for (const base of openaiPaths) if (isAtOrBelow(path, base)) return 'openai';
  if (isAtOrBelow(path, '/v1/messages')) return 'anthropic';
  if (isAtOrBelow(path, '/v1/models'))
    return request.headers['anthropic-version'] === undefined ? 'openai' : 'anthropic';
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

/**
 * The body of an error answer in the given dialect. `requestBody` (the request's parsed JSON
 * body, when it has one) names the output-limit field an OpenAI client sent, for a refusal
 * of it (see {@link outputLimitRefusalOf}).
 */
export function formatErrorBody(
  error: ErrorAnswer,
  dialect: ErrorDialect,
  requestBody?: unknown,
): Record<string, unknown> {
  if (dialect !== 'llmq') {
    const refusal = outputLimitRefusalOf(error);
    if (refusal !== undefined) return outputLimitAnswer(refusal, dialect, requestBody);
  }
  const details = error.details !== undefined ? { details: error.details } : {};
  switch (dialect) {
    case 'llmq':
      return { error: { code: error.code, message: error.message, ...details } };
    case 'openai':
      return {
        error: {
          message: error.message,
          type: openaiErrorType(error.status),
          param: parameterOf(error.details),
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

/**
 * OpenAI's `param`: the parameter an `unsupported_parameter` refusal names, else the first
 * invalid field's path; null when the error is about no one field.
 */
function parameterOf(details: unknown): string | null {
  const { parameter, issues } =
    (details as { parameter?: unknown; issues?: Array<{ path?: unknown }> } | undefined) ?? {};
  if (typeof parameter === 'string' && parameter !== '') return parameter;
  const path = issues?.[0]?.path;
  return typeof path === 'string' && path !== '' ? path : null;
}

/** A client's output limit over the routed model's most, as routing refuses it. */
interface OutputLimitRefusal {
  /** The limit the client asked for. */
  requested: number;
  /** The model's most output tokens. */
  most: number;
  /** The catalog id of the model (what Anthropic names: the model id, not an alias). */
  model: string;
}

/**
 * The refusal of a client's output limit over the routed model's most, read from routing's
 * `context_window_exceeded` (its `details.parameter` is `max_tokens`, with the limit and the
 * most); undefined for any other error.
 */
function outputLimitRefusalOf(error: ErrorAnswer): OutputLimitRefusal | undefined {
  if (error.code !== 'context_window_exceeded') return undefined;
  const details = error.details as
    | { parameter?: unknown; max_tokens?: unknown; max_output_tokens?: unknown; model?: unknown }
    | undefined;
  if (
    details?.parameter !== 'max_tokens' ||
    typeof details.max_tokens !== 'number' ||
    typeof details.max_output_tokens !== 'number' ||
    typeof details.model !== 'string'
  )
    return undefined;
  return { requested: details.max_tokens, most: details.max_output_tokens, model: details.model };
}

/**
 * An output limit over the model's most, answered as the provider answers it (no llmq `code`
 * or `details`: the SDKs and the clients' own checks read the provider's fields):
 * - OpenAI: 400 `invalid_request_error` naming the field the client sent in `param`, code
 *   `invalid_value` (OpenAI's code since 2025; earlier answers had null), and OpenAI's sentence.
 * - Anthropic: 400 `invalid_request_error` with Anthropic's sentence, naming the model.
 */
function outputLimitAnswer(
  { requested, most, model }: OutputLimitRefusal,
  dialect: 'openai' | 'anthropic',
  requestBody: unknown,
): Record<string, unknown> {
  if (dialect === 'anthropic') {
    return {
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: `max_tokens: ${requested} > ${most}, which is the maximum allowed number of output tokens for ${model}`,
      },
    };
  }
  const field = openaiOutputLimitField(requestBody);
  return {
    error: {
      message: `${field} is too large: ${requested}. This model supports at most ${most} completion tokens, whereas you provided ${requested}.`,
      type: 'invalid_request_error',
      param: field,
      code: 'invalid_value',
    },
  };
}

/**
 * The output-limit field an OpenAI client sent: `max_output_tokens` (Responses), else
 * `max_completion_tokens`, which chat completions takes over `max_tokens` when both are sent.
 */
function openaiOutputLimitField(requestBody: unknown): string {
  const body = (
    typeof requestBody === 'object' && requestBody !== null ? requestBody : {}
  ) as Record<string, unknown>;
  for (const field of ['max_output_tokens', 'max_completion_tokens'])
    if (typeof body[field] === 'number') return field;
  return 'max_tokens';
}
