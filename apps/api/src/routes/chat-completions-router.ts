import { isFinalStatus, type JobResult } from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { methodNotAllowed, toClientError } from '../http/api-error';
import { cacheModeFromHeaders } from '../http/cache-control';
import { formatErrorBody } from '../http/error-dialect';
import { readSyncIdempotency } from '../http/idempotency-key';
import { refuseJobOnlyOptions } from '../http/refuse-job-only-options';
import { disarmRequestTimeout } from '../http/request-timeout';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';
import { keepAlive, openEventStream, writeEvent } from '../http/sse';
import {
  type InteractiveJobs,
  jobEndError,
  setLlmqHeaders,
  tenantOf,
} from '../interactive/interactive-jobs';
import { submissionContext } from '../observability/request-telemetry';
import {
  chatCompletionsRequestSchema,
  toJobRequestFromChat,
} from '../openai-compat/chat-completions-request-schema';
import {
  ChatCompletionChunks,
  chatCompletionId,
  toChatCompletion,
} from '../openai-compat/to-chat-completion';

/**
 * `POST /v1/chat/completions`, OpenAI-compatible, through the interactive lane. Errors are
 * answered in OpenAI's shape (see `error-dialect.ts`); a streamed answer that fails ends with
 * a `data: {"error": …}` chunk and no `[DONE]`, never with a clean `finish_reason`.
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
        const body = chatCompletionsRequestSchema.parse(request.body);
        const stream = body.stream === true;
        const start = await jobs.start(
          tenantOf(response),
          { cache: cacheModeFromHeaders(request), ...toJobRequestFromChat(body) },
          stream,
          {
            ...submissionContext(response),
            ...readSyncIdempotency(request, 'chat.completions', stream),
          },
        );
        const created = Math.floor(Date.now() / 1000);

        if (start.kind === 'cached') {
          setLlmqHeaders(response, { ...start, cached: true });
          const id = chatCompletionId(start.result.response_id ?? 'cached');
          if (!stream) {
            response.json(toChatCompletion(id, created, start.result));
            return;
          }
          const chunks = new ChatCompletionChunks(
            id,
            created,
            start.model,
            body.stream_options?.include_usage === true,
          );
          openEventStream(response);
          writeEvent(response, { data: chunks.role() });
          writeEvent(response, { data: chunks.text(start.result.text) });
          finishStream(response, chunks, start.result, body.stream_options?.include_usage === true);
          return;
        }

        const { jobId } = start;
        // From here a job exists: any error answer says not to retry (see `errorHandler`).
        response.locals.jobId = jobId;
        setLlmqHeaders(response, { ...start, cached: false });
        const id = chatCompletionId(jobId);
        if (!stream) {
          const result = await jobs.waitForResult(jobId, request, response);
          if (result) response.json(toChatCompletion(id, created, result));
          return; // without a result, the client left
        }

        const includeUsage = body.stream_options?.include_usage === true;
        const chunks = new ChatCompletionChunks(id, created, start.model, includeUsage);
        openEventStream(response);
        const stopKeepAlive = keepAlive(response, jobs.keepAliveMs);
        writeEvent(response, { data: chunks.role() });
        try {
          for await (const event of jobs.follow(jobId, request, response)) {
            if (event.name === 'delta') {
              writeEvent(response, { data: chunks.text(event.data.text) });
              continue;
            }
            // A sync job is never speculative: only status events end it.
            if (event.name !== 'status' || !isFinalStatus(event.data.status)) continue;
            const result = event.data.result;
            if (event.data.status === 'completed' && result) {
              finishStream(response, chunks, result, includeUsage);
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

function finishStream(
  response: Response,
  chunks: ChatCompletionChunks,
  result: JobResult,
  includeUsage: boolean,
): void {
  writeEvent(response, { data: chunks.finish(result) });
  if (includeUsage) writeEvent(response, { data: chunks.usage(result) });
  writeEvent(response, { data: '[DONE]' });
  response.end();
}

/** OpenAI's in-stream error: a data-only chunk with `error`, then the stream closes. */
function writeError(response: Response, error: unknown): void {
  writeEvent(response, { data: JSON.stringify(formatErrorBody(toClientError(error), 'openai')) });
  response.end();
}
