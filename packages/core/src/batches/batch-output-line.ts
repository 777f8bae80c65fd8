import { randomUUID } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { convertToAnthropicMessage } from '../dialects/anthropic-messages/convert-to-anthropic-message';
import {
  convertToOpenAIChatCompletion,
  type OpenAIAnswerOptions,
} from '../dialects/openai-chat/convert-to-openai-chat-completion';
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
 * A line of the error file for a request that failed. When the provider answered with an
 * HTTP status, `response` carries it as OpenAI's files do; `error` always says why.
 */
export function failedBatchLine(customId: string, requestId: string, failure: JobFailure): string {
  const error = { code: failure.code, message: failure.message };
  return JSON.stringify({
    id: lineId(),
    custom_id: customId,
    response:
      failure.status_code === undefined
        ? null
        : {
            status_code: failure.status_code,
            request_id: failure.request_id ?? requestId,
            body: { error: { ...error, type: 'provider_error' } },
          },
    error,
  });
}

/**
 * A line of the error file for a client's output limit over the routed model's most, written
 * as the provider writes its HTTP 400 for it: `response` carries the status and the provider's
 * error body (the same words as the sync endpoints answer, {@link outputLimitAnswer}), and
 * `error` is null, as OpenAI keeps `error` for failures without an HTTP answer. A Message
 * Batch's line (`endpoint` `/v1/messages`) holds Anthropic's body, which its `errored` result
 * carries; an OpenAI line names the field the client sent (`max_output_tokens` for a
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
  return JSON.stringify({
    id: lineId(),
    custom_id: customId,
    response: { status_code: outputLimitStatus, request_id: requestId, body },
    error: null,
  });
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
