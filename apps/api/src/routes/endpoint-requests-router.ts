import {
  convertOpenAICompletionsRequest,
  convertOpenAIEmbeddingsRequest,
  openAICompletionsRequestSchema,
  openAIEmbeddingsRequestSchema,
  toOpenAICompletionChunks,
  toOpenAICompletionResponse,
  toOpenAIEmbeddingsResponse,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { methodNotAllowed } from '../http/api-error';
import { readIdempotencyKey } from '../http/idempotency-key';
import { refuseJobOnlyOptions } from '../http/refuse-job-only-options';
import { disarmRequestTimeout } from '../http/request-timeout';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';
import { openEventStream, writeEvent } from '../http/sse';
import type { EndpointJobRequest } from '../interactive/endpoint-jobs';
import { type InteractiveJobs, setLlmqHeaders, tenantOf } from '../interactive/interactive-jobs';

/** The id OpenAI clients see for a completion: the job id, as for chat completions. */
export function textCompletionId(jobId: string): string {
  return `cmpl-${jobId}`;
}

/**
 * `POST /v1/embeddings` and `POST /v1/completions`, OpenAI-compatible, through the interactive
 * lane: each request is a job (see `EndpointJobs`) that a worker runs through the model's
 * micro-batched call, shared with other sync requests of that model. The client waits for its
 * result as on `/v1/chat/completions` (same timeout, disconnect and `Idempotency-Key` rules);
 * errors are in OpenAI's shape. A streamed completion is sent as chunks once the answer is in
 * (the provider call is not streamed: it may carry other requests' prompts). Not cached: an
 * embeddings or completions answer is cheap to make again and rarely asked twice.
 */
export function endpointRequestsRouter(jobs: InteractiveJobs, requireScope: RequireScope): Router {
  const router = Router();
  router
    .route('/v1/embeddings')
    .post(
      requireScope('jobs:write'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        disarmRequestTimeout(response);
        refuseJobOnlyOptions(request.body, '/v1/embeddings');
        const body = openAIEmbeddingsRequestSchema.parse(request.body);
        const call = convertOpenAIEmbeddingsRequest(body);
        const jobId = await submit(jobs, request, response, call.model, {
          endpoint: '/v1/embeddings',
          embedding: call.request,
        });
        const result = await jobs.waitForResult(jobId, request, response);
        if (result) response.json(toOpenAIEmbeddingsResponse(result, call.request.encodingFormat));
      },
    )
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/completions')
    .post(
      requireScope('jobs:write'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        disarmRequestTimeout(response);
        refuseJobOnlyOptions(request.body, '/v1/completions');
        const body = openAICompletionsRequestSchema.parse(request.body);
        const call = convertOpenAICompletionsRequest(body);
        const jobId = await submit(jobs, request, response, call.model, {
          endpoint: '/v1/completions',
          completion: call.request,
        });
        const created = Date.now();
        const id = textCompletionId(jobId);
        const result = await jobs.waitForResult(jobId, request, response);
        if (!result) return; // the client left
        if (!call.stream) {
          response.json(toOpenAICompletionResponse(result, id, created));
          return;
        }
        openEventStream(response);
        for (const chunk of toOpenAICompletionChunks(result, id, created, call.includeUsage))
          writeEvent(response, { data: JSON.stringify(chunk) });
        writeEvent(response, { data: '[DONE]' });
        response.end();
      },
    )
    .all(methodNotAllowed(['POST']));
  return router;
}

/** Queues the request's job and sets the headers known before it runs; returns its id. */
async function submit(
  jobs: InteractiveJobs,
  request: Request,
  response: Response,
  model: string,
  job: EndpointJobRequest,
): Promise<string> {
  const idempotencyKey = readIdempotencyKey(request);
  const requestId = response.locals.requestId as string | undefined;
  const start = await jobs.endpoints.submit(tenantOf(response), model, job, {
    body: request.body,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
  });
  // From here a job exists: any error answer says not to retry (see `errorHandler`).
  response.locals.jobId = start.jobId;
  setLlmqHeaders(response, start, false);
  return start.jobId;
}
