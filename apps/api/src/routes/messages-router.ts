import { isFinalStatus } from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import {
  type MessagesRequest,
  messagesRequestSchema,
  toJobRequestFromMessages,
} from '../anthropic-compat/messages-request-schema';
import {
  type AnthropicStreamEvent,
  anthropicMessageId,
  anthropicStreamEvents,
  toAnthropicMessage,
} from '../anthropic-compat/to-anthropic-message';
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

/**
 * `POST /v1/messages`, Anthropic-compatible, through the interactive lane. Errors are answered
 * in Anthropic's shape (see `error-dialect.ts`); a streamed answer that fails ends with an
 * `event: error`, never with `message_stop`.
 */
export function messagesRouter(jobs: InteractiveJobs, requireScope: RequireScope): Router {
  const router = Router();
  router
    .route('/v1/messages')
    .post(
      requireScope('jobs:write'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        // This route answers within its own limit (the sync wait timeout, then 504 with the
        // job id and `x-should-retry: false`), never with the general timeout's retryable 503.
        disarmRequestTimeout(response);
        refuseJobOnlyOptions(request.body, '/v1/messages');
        const body: MessagesRequest = messagesRequestSchema.parse(request.body);
        const stream = body.stream === true;
        const start = await jobs.start(
          tenantOf(response),
          { cache: cacheModeFromHeaders(request), ...toJobRequestFromMessages(body) },
          stream,
          {
            ...submissionContext(response),
            ...readSyncIdempotency(request, 'messages', stream),
          },
        );

        if (start.kind === 'cached') {
          setLlmqHeaders(response, { ...start, cached: true });
          const id = anthropicMessageId(start.result.response_id ?? 'cached');
          if (!stream) {
            response.json(toAnthropicMessage(id, start.result));
            return;
          }
          openEventStream(response);
          send(response, anthropicStreamEvents.start(id, start.model));
          send(response, [anthropicStreamEvents.text(start.result.text)]);
          send(response, anthropicStreamEvents.finish(start.result));
          response.end();
          return;
        }

        const { jobId } = start;
        // From here a job exists: any error answer says not to retry (see `errorHandler`).
        response.locals.jobId = jobId;
        setLlmqHeaders(response, { ...start, cached: false });
        const id = anthropicMessageId(jobId);
        if (!stream) {
          const result = await jobs.waitForResult(jobId, request, response);
          if (result) response.json(toAnthropicMessage(id, result));
          return; // without a result, the client left
        }

        openEventStream(response);
        const stopKeepAlive = keepAlive(response, jobs.keepAliveMs, pingFrame);
        send(response, anthropicStreamEvents.start(id, start.model));
        try {
          for await (const event of jobs.follow(jobId, request, response)) {
            if (event.name === 'delta') {
              send(response, [anthropicStreamEvents.text(event.data.text)]);
              continue;
            }
            // A sync job is never speculative: only status events end it.
            if (event.name !== 'status' || !isFinalStatus(event.data.status)) continue;
            const result = event.data.result;
            if (event.data.status === 'completed' && result) {
              send(response, anthropicStreamEvents.finish(result));
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

/** Anthropic's keep-alive: a `ping` event, which its SDK skips. */
const pingFrame = 'event: ping\ndata: {"type": "ping"}\n\n';

function send(response: Response, events: AnthropicStreamEvent[]): void {
  for (const event of events) writeEvent(response, event);
}

/** Anthropic's in-stream error: `event: error` with the error body, then the stream closes. */
function writeError(response: Response, error: unknown): void {
  writeEvent(response, {
    event: 'error',
    data: JSON.stringify(formatErrorBody(toClientError(error), 'anthropic')),
  });
  response.end();
}
