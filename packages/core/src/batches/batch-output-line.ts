import { randomUUID } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { anthropicErrorType } from '../dialects/anthropic-messages/anthropic-error-type';
import { convertToAnthropicMessage } from '../dialects/anthropic-messages/convert-to-anthropic-message';
import {
  convertToOpenAIChatCompletion,
  type OpenAIAnswerOptions,
} from '../dialects/openai-chat/convert-to-openai-chat-completion';
import { openaiErrorType } from '../dialects/openai-error-type';
import {
  convertToResponseOutput,
  type ResponseObject,
  responseEnd,
  responseObject,
} from '../dialects/openai-responses/convert-to-openai-response';
import type { ResponseSettings } from '../dialects/openai-responses/response-settings';
import {
  type OpenAIOutputLimitField,
  type OutputLimitRefusal,
  outputLimitAnswer,
  outputLimitStatus,
} from '../dialects/output-limit-refusal';
import { failureHttpStatus } from '../jobs/failure-answer';
import type { JobFailure } from '../jobs/job-failure';
import type { GenerateResult } from '../providers/language-model';
import type { BatchStopReason } from './batch-record';

/**
 * An OpenAI `chat.completion` object built from a provider-neutral result, a call written as
 * `function_call` when the request used the legacy `functions` (`options.legacyFunctions`).
 */
export function toChatCompletionBody(
  result: GenerateResult,
  createdAtMs: number,
  options: OpenAIAnswerOptions = {},
) {
  // The openai-chat dialect writes it, so tool calls, reasoning and other choices are kept.
  return convertToOpenAIChatCompletion(
    {
      ...result,
      id: result.responseId ?? `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      created: Math.floor(createdAtMs / 1000),
      model: result.responseModel,
    },
    options,
  );
}

/**
 * An Anthropic `message` built from a provider-neutral result, by the anthropic-messages
 * dialect's writer (the one `POST /v1/messages` answers with): a Message Batch line's answer.
 * `model` is the name to report (the catalog model, as the sync route reports it).
 */
export function toAnthropicMessageBody(
  result: GenerateResult,
  facts: { id: string; model: string },
): Anthropic.Message {
  return convertToAnthropicMessage({ ...result, ...facts, created: 0 });
}

/**
 * An OpenAI Responses `response` object built from a provider-neutral result, for a
 * `/v1/responses` batch line: its own `resp_` id, the request's settings echoed.
 */
export function toResponseBody(
  result: GenerateResult,
  settings: ResponseSettings,
  createdAtMs: number,
): ResponseObject {
  const id = `resp_${randomUUID().replace(/-/g, '')}`;
  const end = responseEnd(result.finishReason);
  const response = responseObject(settings, {
    id,
    createdAt: Math.floor(createdAtMs / 1000),
    completedAt: Math.floor(Date.now() / 1000),
    ...end,
    usage: result.usage,
    output: convertToResponseOutput(result.content, {
      responseId: id,
      incomplete: end.status === 'incomplete',
      encryptedReasoning: settings.encrypted_reasoning,
    }),
  });
  return { ...response, model: result.responseModel };
}

function lineId(): string {
  return `batch_req_${randomUUID().replace(/-/g, '')}`;
}

/** A line of the output file: `{id, custom_id, response: {status_code, request_id, body}, error}`. */
export function completedBatchLine(customId: string, requestId: string, body: unknown): string {
  return JSON.stringify({
    id: lineId(),
    custom_id: customId,
    response: { status_code: 200, request_id: requestId, body },
    error: null,
  });
}

/**
 * A line of the error file for a request answered with an HTTP error: `response` carries the
 * status and the error body, and `error` is null, as OpenAI writes it (its
 * `BatchRequestOutput.error` is for requests that failed with a non-HTTP error). Every such
 * line is written here.
 */
function httpErrorBatchLine(
  customId: string,
  requestId: string,
  status: number,
  body: Record<string, unknown>,
): string {
  return JSON.stringify({
    id: lineId(),
    custom_id: customId,
    response: { status_code: status, request_id: requestId, body },
    error: null,
  });
}

/**
 * A line of the error file for a request that failed. One answered with an HTTP status (the
 * provider's, or the one a compatible endpoint answers the request's own fault with, see
 * `failureHttpStatus`) is written as that answer ({@link httpErrorBatchLine}): OpenAI's error
 * body (`message`, `type` for the status, `param` null, llmq's failure `code`), or for a
 * Message Batch's line (`endpoint` `/v1/messages`) Anthropic's, which its `errored` result
 * carries. A failure with no HTTP answer (a connection error, a lost worker) has `response`
 * null and `error` its code and message.
 */
export function failedBatchLine(
  customId: string,
  requestId: string,
  failure: JobFailure,
  line: { endpoint?: string } = {},
): string {
  const status = failureHttpStatus(failure);
  if (status === undefined)
    return JSON.stringify({
      id: lineId(),
      custom_id: customId,
      response: null,
      error: { code: failure.code, message: failure.message },
    });
  const body =
    line.endpoint === '/v1/messages'
      ? {
          type: 'error',
          error: { type: anthropicErrorType(status), message: failure.message },
        }
      : {
          error: {
            message: failure.message,
            type: openaiErrorType(status),
            param: null,
            code: failure.code,
          },
        };
  return httpErrorBatchLine(customId, failure.request_id ?? requestId, status, body);
}

/**
 * A line of the error file for a client's output limit over the routed model's most, written
 * as the provider writes its HTTP 400 for it ({@link httpErrorBatchLine}): the provider's
 * error body (the same words as the sync endpoints answer, {@link outputLimitAnswer}). A
 * Message Batch's line (`endpoint` `/v1/messages`) holds Anthropic's body, which its `errored`
 * result carries; an OpenAI line names the field the client sent (`max_output_tokens` for a
 * `/v1/responses` line, else `maxTokensField`, default `max_tokens`).
 */
export function outputLimitBatchLine(
  customId: string,
  requestId: string,
  refusal: OutputLimitRefusal,
  line: {
    endpoint?: '/v1/messages';
    responses?: unknown;
    maxTokensField?: Exclude<OpenAIOutputLimitField, 'max_output_tokens'>;
  },
): string {
  const body =
    line.endpoint === '/v1/messages'
      ? outputLimitAnswer(refusal, 'anthropic')
      : outputLimitAnswer(
          refusal,
          'openai',
          line.responses !== undefined
            ? 'max_output_tokens'
            : (line.maxTokensField ?? 'max_tokens'),
        );
  return httpErrorBatchLine(customId, requestId, outputLimitStatus, body);
}

/** Why a request never ran, by what stopped its batch (the error file's `error`). */
function notRunError(reason: BatchStopReason): { code: string; message: string } {
  switch (reason) {
    case 'cancelled':
      return {
        code: 'batch_cancelled',
        message: 'the batch was cancelled before this request was run',
      };
    case 'expired':
      return { code: 'batch_expired', message: 'the batch expired before this request was run' };
    case 'failed':
      // Also a request whose call was under way when the batch failed: its answer came after
      // the batch's counts and files were settled, so it is not written; its call is billed
      // when it ends, as the provider was paid for it.
      return {
        code: 'batch_failed',
        message: 'the batch failed before this request was answered',
      };
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}

/**
 * A line of the error file for a request never run (or never answered) because the batch was
 * cancelled, expired or failed.
 */
export function skippedBatchLine(customId: string, reason: BatchStopReason): string {
  return JSON.stringify({
    id: lineId(),
    custom_id: customId,
    response: null,
    error: notRunError(reason),
  });
}
