import {
  anthropicErrorType,
  openaiErrorType,
  openaiOutputLimitField,
  outputLimitAnswer,
  outputLimitRefusalOf,
} from '@llmq/core';
import type { Request, Response } from 'express';

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

/** What an error answer's body is built from, besides the error and its dialect. */
export interface ErrorBodyContext {
  /**
   * The request's parsed JSON body, when it has one: names the output-limit field an OpenAI
   * client sent, for a refusal of it (see @llmq/core `outputLimitRefusalOf`).
   */
  requestBody?: unknown;
  /**
   * The answer's request id (its `request-id` header): an Anthropic-dialect body carries it as
   * `request_id`, as Anthropic's HTTP error answers do (its SDKs' `ErrorResponse`: required,
   * nullable). Absent: no `request_id` (Anthropic's in-stream `error` event has none).
   */
  requestId?: string | null;
}

/**
 * The body of an HTTP error answer to `request`, in its dialect: with the request's body (an
 * output-limit refusal names the field) and, in Anthropic's dialect, the answer's request id
 * (the `request-id` header `requestTelemetry` set). Every HTTP error answer is built here.
 */
export function errorAnswerBody(
  error: ErrorAnswer,
  request: Request,
  response: Response,
): Record<string, unknown> {
  const requestId = response.locals.requestId as string | undefined;
  return formatErrorBody(error, errorDialectFor(request), {
    requestBody: request.body,
    requestId: requestId ?? null,
  });
}

/**
 * The body of an error answer in the given dialect (see {@link ErrorBodyContext}). A client's
 * output limit over the model's most is answered in the provider's words
 * (@llmq/core `outputLimitAnswer`, which batch lines answer with too).
 */
export function formatErrorBody(
  error: ErrorAnswer,
  dialect: ErrorDialect,
  context: ErrorBodyContext = {},
): Record<string, unknown> {
  const body = dialectBody(error, dialect, context.requestBody);
  // After `type` and `error`, as Anthropic orders its answer.
  return dialect === 'anthropic' && context.requestId !== undefined
    ? { ...body, request_id: context.requestId }
    : body;
}

function dialectBody(
  error: ErrorAnswer,
  dialect: ErrorDialect,
  requestBody: unknown,
): Record<string, unknown> {
  if (dialect !== 'llmq') {
    const refusal = outputLimitRefusalOf(error);
    if (refusal !== undefined)
      return outputLimitAnswer(
        refusal,
        dialect,
        dialect === 'openai' ? openaiOutputLimitField(requestBody) : undefined,
      );
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
