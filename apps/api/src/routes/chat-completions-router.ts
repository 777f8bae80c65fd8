import {
  convertToOpenAIChatCompletion,
  isFinalStatus,
  type JobResult,
  type OpenAIAnswerOptions,
  OpenAIChatChunkWriter,
  type StreamPart,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { methodNotAllowed, toClientError } from '../http/api-error';
import { cacheModeFromHeaders } from '../http/cache-control';
import { formatErrorBody } from '../http/error-dialect';
import { readSyncIdempotency } from '../http/idempotency-key';
import { sendJson } from '../http/json-answer';
import { refuseJobOnlyOptions } from '../http/refuse-job-only-options';
import { disarmRequestTimeout } from '../http/request-timeout';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';
import { keepAlive, openEventStream, writeEvent } from '../http/sse';
import {
  contentStreamParts,
  dialectAnswerOf,
  finishPartOf,
} from '../interactive/dialect-answer-of-result';
import {
  type InteractiveJobs,
  jobEndError,
  setLlmqHeaders,
  tenantOf,
} from '../interactive/interactive-jobs';
import { submissionContext } from '../observability/request-telemetry';
import { readChatCompletionsRequest } from '../openai-compat/read-chat-completions-request';

/** The id OpenAI clients see: the job id, so a support question leads straight to the job. */
export function chatCompletionId(jobId: string): string {
  return `chatcmpl-${jobId}`;
}

/**
 * `POST /v1/chat/completions`, OpenAI-compatible, through the interactive lane. The body is
 * read and the answer written by the openai-chat dialect (tools, JSON schema, images,
 * reasoning; streamed `tool_calls` deltas). Errors are answered in OpenAI's shape (see
 * `error-dialect.ts`); a streamed answer that fails ends with a `data: {"error": …}` chunk and
 * no `[DONE]`, never with a clean `finish_reason`.
 */
export function chatCompletionsRouter(jobs: InteractiveJobs, requireScope: RequireScope): Router {
  const router = Router();
  router
    .route('/v1/chat/completions')
    .post(
      requireScope('jobs:write'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        // This route answers within its own limit (the sync wait timeout, then 504 with the
        // job id and `x-should-retry: false`), never with the general timeout's retryable 503.
        disarmRequestTimeout(response);
        refuseJobOnlyOptions(request.body, '/v1/chat/completions');
        const call = readChatCompletionsRequest(request.body);
        const start = await jobs.start(
          tenantOf(response),
          // Object.assign, not spreads: on Node 20 a key added to a spread's copy costs 1–5 µs
          // (a new hidden class each time; docs/performance.md, session 13).
          Object.assign({}, call.job, { cache: cacheModeFromHeaders(request) }),
          call.stream,
          Object.assign(
            submissionContext(response),
            readSyncIdempotency(request, 'chat.completions', call.stream),
          ),
          call.conversation,
        );
        const created = Math.floor(Date.now() / 1000);
        const writerFor = (id: string) =>
          new OpenAIChatChunkWriter({
            id,
            created,
            model: start.model,
            includeUsage: call.includeUsage,
            legacyFunctions: call.legacyFunctions,
          });

        if (start.kind === 'cached') {
          setLlmqHeaders(response, start, true);
          const id = chatCompletionId(start.result.response_id ?? 'cached');
          if (!call.stream) {
            sendJson(response, 200, completionOf(start.result, id, created, call));
            return;
          }
          const writer = writerFor(id);
          openEventStream(response);
          for (const part of contentStreamParts(start.result)) send(response, writer, part);
          finishStream(response, writer, start.result);
          return;
        }

        const { jobId } = start;
        // From here a job exists: any error answer says not to retry (see `errorHandler`).
        response.locals.jobId = jobId;
        setLlmqHeaders(response, start, false);
        const id = chatCompletionId(jobId);
        if (!call.stream) {
          const result = await jobs.waitForResult(jobId, request, response, start.announced);
          if (result) sendJson(response, 200, completionOf(result, id, created, call));
          return; // without a result, the client left
        }

        const writer = writerFor(id);
        openEventStream(response);
        const stopKeepAlive = keepAlive(response, jobs.keepAliveMs);
        // The opening chunk (role, empty content), as OpenAI sends it before the first token:
        // sent with the answer's first part, after the provider's `response-metadata` (which
        // leads it), so it carries the provider's fingerprint and tier as every chunk after it.
        // With `n` > 1 the other choices open with their first part (the writer adds the role):
        // a server that ignores `n` then streams one choice, as its whole answer has one, and
        // no choice is left open without a finish reason.
        let opened = false;
        const open = () => {
          if (!opened) send(response, writer, { type: 'text-delta', delta: '' });
          opened = true;
        };
        try {
          for await (const event of jobs.follow(jobId, request, response)) {
            if (event.name === 'delta') {
              const parts = event.data.parts ?? [{ type: 'text-delta', delta: event.data.text }];
              for (const part of parts) {
                if (part.type !== 'response-metadata') open();
                send(response, writer, part);
              }
              continue;
            }
            // A sync job is never speculative: only status events end it.
            if (event.name !== 'status' || !isFinalStatus(event.data.status)) continue;
            const result = event.data.result;
            if (event.data.status === 'completed' && result) {
              open();
              finishStream(response, writer, result);
            } else {
              writeError(response, jobEndError(jobId, event));
            }
            return;
          }
        } catch (error) {
          writeError(response, error);
        } finally {
          stopKeepAlive();
          if (!response.writableEnded) response.end();
        }
      },
    )
    .all(methodNotAllowed(['POST']));
  return router;
}

function completionOf(
  result: JobResult,
  id: string,
  created: number,
  options: OpenAIAnswerOptions,
) {
  return convertToOpenAIChatCompletion(
    dialectAnswerOf(result, { id, created, model: result.model }),
    options,
  );
}

function send(response: Response, writer: OpenAIChatChunkWriter, part: StreamPart): void {
  for (const chunk of writer.write(part)) writeEvent(response, { data: JSON.stringify(chunk) });
}

function finishStream(response: Response, writer: OpenAIChatChunkWriter, result: JobResult): void {
  send(response, writer, finishPartOf(result));
  writeEvent(response, { data: '[DONE]' });
  response.end();
}

/** OpenAI's in-stream error: a data-only chunk with `error`, then the stream closes. */
function writeError(response: Response, error: unknown): void {
  writeEvent(response, { data: JSON.stringify(formatErrorBody(toClientError(error), 'openai')) });
  response.end();
}
