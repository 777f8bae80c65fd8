import {
  AnthropicEventWriter,
  convertToAnthropicMessage,
  isFinalStatus,
  type JobResult,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { readMessagesRequest } from '../anthropic-compat/read-messages-request';
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

/** The id Anthropic clients see: the job id, so a support question leads straight to the job. */
export function anthropicMessageId(jobId: string): string {
  return `msg_${jobId}`;
}

/**
 * `POST /v1/messages`, Anthropic-compatible, through the interactive lane. The body is read and
 * the answer written by the anthropic-messages dialect (tools, images, thinking with
 * signatures; streamed `tool_use` blocks with `input_json_delta`). Errors are answered in
 * Anthropic's shape (see `error-dialect.ts`); a streamed answer that fails ends with an
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
        const call = readMessagesRequest(request.body);
        const start = await jobs.start(
          tenantOf(response),
          // Object.assign, not spreads: on Node 20 a key added to a spread's copy costs 1–5 µs
          // (a new hidden class each time; docs/performance.md, session 13).
          Object.assign({}, call.job, { cache: cacheModeFromHeaders(request) }),
          call.stream,
          Object.assign(
            submissionContext(response),
            readSyncIdempotency(request, 'messages', call.stream),
          ),
          call.conversation,
        );
        const writerFor = (id: string) =>
          new AnthropicEventWriter({ id, model: start.model, inputTokens: start.inputTokens });

        if (start.kind === 'cached') {
          setLlmqHeaders(response, start, true);
          const id = anthropicMessageId(start.result.response_id ?? 'cached');
          if (!call.stream) {
            sendJson(response, 200, messageOf(start.result, id));
            return;
          }
          const writer = writerFor(id);
          openEventStream(response);
          // `message_start` goes out with the first part, after the answer's metadata.
          for (const part of contentStreamParts(start.result)) send(response, writer.write(part));
          send(response, writer.write(finishPartOf(start.result)));
          response.end();
          return;
        }

        const { jobId } = start;
        // From here a job exists: any error answer says not to retry (see `errorHandler`).
        response.locals.jobId = jobId;
        setLlmqHeaders(response, start, false);
        const id = anthropicMessageId(jobId);
        if (!call.stream) {
          const result = await jobs.waitForResult(jobId, request, response, start.announced);
          if (result) sendJson(response, 200, messageOf(result, id));
          return; // without a result, the client left
        }

        const writer = writerFor(id);
        openEventStream(response);
        // No `message_start` yet: it goes out with the first part, carrying what the provider
        // said first (its cache writes); pings (which the SDK skips) keep the stream open.
        const stopKeepAlive = keepAlive(response, jobs.keepAliveMs, pingFrame);
        try {
          for await (const event of jobs.follow(jobId, request, response)) {
            if (event.name === 'delta') {
              const parts = event.data.parts ?? [{ type: 'text-delta', delta: event.data.text }];
              for (const part of parts) send(response, writer.write(part));
              continue;
            }
            // A sync job is never speculative: only status events end it.
            if (event.name !== 'status' || !isFinalStatus(event.data.status)) continue;
            const result = event.data.result;
            if (event.data.status === 'completed' && result) {
              send(response, writer.write(finishPartOf(result)));
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

function messageOf(result: JobResult, id: string) {
  return convertToAnthropicMessage(
    dialectAnswerOf(result, { id, created: 0, model: result.model }),
  );
}

/** Anthropic's keep-alive: a `ping` event, which its SDK skips. */
const pingFrame = 'event: ping\ndata: {"type": "ping"}\n\n';

function send(response: Response, events: ReadonlyArray<{ type: string }>): void {
  for (const event of events)
    writeEvent(response, { event: event.type, data: JSON.stringify(event) });
}

/** Anthropic's in-stream error: `event: error` with the error body, then the stream closes. */
function writeError(response: Response, error: unknown): void {
  writeEvent(response, {
    event: 'error',
    data: JSON.stringify(formatErrorBody(toClientError(error), 'anthropic')),
  });
  response.end();
}
