import {
  type ChatMessage,
  ClientError,
  eventWithoutProviderText,
  isFinalStatus,
  isPreviousResponseGone,
  type JobEvent,
  type JobEventReader,
  type JobRecord,
  type JobStore,
  jobIdOfResponse,
  type RedisKeys,
  type ResponseStore,
  type ResponseTurn,
  recordWithoutProviderText,
  responseIdOfJob,
  type StoredResponse,
  settingsWithoutPrompt,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import type { Redis } from 'ioredis';
import { methodNotAllowed } from '../http/api-error';
import { cacheModeFromHeaders } from '../http/cache-control';
import { readSyncIdempotency } from '../http/idempotency-key';
import { refuseJobOnlyOptions } from '../http/refuse-job-only-options';
import { disarmRequestTimeout } from '../http/request-timeout';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';
import { type InteractiveJobs, setLlmqHeaders, tenantOf } from '../interactive/interactive-jobs';
import { submissionContext } from '../observability/request-telemetry';
import { readResponsesRequest } from '../openai-compat/read-responses-request';
import { readRetrieveQuery } from '../openai-compat/read-retrieve-query';
import { finishedJobEvents } from '../openai-compat/response-events';
import { listInputItems } from '../openai-compat/response-input-list';
import { responseNotFound, responseViewOf } from '../openai-compat/response-view';
import type { StoredResponseLookup } from '../openai-compat/stored-response-lookup';
import { followDetached, streamResponse } from '../openai-compat/stream-response';
import { mayReadContent, readableRecord } from './job-requests';

export interface ResponsesRouterOptions {
  jobs: InteractiveJobs;
  store: JobStore;
  reader: JobEventReader;
  responses: ResponseStore;
  redis: Redis;
  keys: RedisKeys;
  requireScope: RequireScope;
}

/**
 * OpenAI's Responses API on llmq's queue: every response is a job (`resp_<hex>` is `job_<hex>`),
 * so it is routed, limited, cached, costed and filtered as every job is. `background: true`
 * answers at once with a queued response that survives killed workers and restarted APIs;
 * a stream can be read again from any point (`GET …?stream=true&starting_after=N`).
 * Stored responses (the default, `store: true`) keep their conversation for
 * `previous_response_id` on any provider. Errors are answered in OpenAI's shape.
 */
export function responsesRouter(options: ResponsesRouterOptions): Router {
  const { jobs, store, responses, requireScope } = options;
  const router = Router();

  router
    .route('/v1/responses')
    .post(
      requireScope('jobs:write'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        disarmRequestTimeout(response);
        refuseJobOnlyOptions(request.body, '/v1/responses');
        const tenant = tenantOf(response);
        const call = await readResponsesRequest(request.body, lookupFor(options, tenant));
        const before = call.previousResponseId
          ? await conversationAfter(options, tenant, call.previousResponseId)
          : { history: [], answer: [] };
        const turn: ResponseTurn = {
          previousResponseId: call.previousResponseId,
          messages: [...before.answer, ...call.input],
        };
        const conversation = [...before.history, ...turn.messages];
        const createdAt = Math.floor(Date.now() / 1000);
        const storedOf = (jobId: string): StoredResponse => ({
          id: responseIdOfJob(jobId),
          jobId,
          createdAt,
          settings: call.settings,
          inputItems: call.inputItems(responseIdOfJob(jobId)),
        });
        const start = await jobs
          .start(
            tenant,
            {
              model: call.model,
              priority: 5,
              ...(Object.keys(call.settings.metadata).length > 0
                ? { metadata: call.settings.metadata }
                : {}),
              cache: cacheModeFromHeaders(request),
            },
            call.stream,
            {
              ...submissionContext(response),
              ...readSyncIdempotency(request, 'responses', call.stream),
              surface: 'responses',
              lane: call.background ? 'standard' : 'interactive',
              stoppable: call.background,
              alwaysQueue: true,
              // Saved by the job's own accept, so no job runs without its stored response.
              ...(call.store
                ? {
                    companion: (jobId: string) =>
                      responses.saveWithJob(tenant, storedOf(jobId), turn),
                  }
                : {}),
            },
            {
              messages: [
                ...(call.instructions !== undefined
                  ? [{ role: 'system' as const, content: call.instructions }]
                  : []),
                ...conversation,
              ],
              ...call.options,
            },
          )
          .catch((error: unknown) => {
            // Deleted or expired since conversationAfter read it: the save in the job's accept
            // refused the turn (nothing was written), so it is answered as an unknown id is.
            if (call.previousResponseId && isPreviousResponseGone(error)) {
              throw responseNotFound(call.previousResponseId, 'Previous response');
            }
            throw error;
          });
        if (start.kind === 'cached') throw new Error('a response is always a job (alwaysQueue)');
        const { jobId } = start;
        response.locals.jobId = jobId;
        setLlmqHeaders(response, start, false);
        // A replayed Idempotency-Key answers with the first request's stored response; nothing
        // is saved again (a response deleted since stays deleted).
        const stored =
          start.created || !call.store
            ? storedOf(jobId)
            : ((await responses.get(tenant, responseIdOfJob(jobId))) ?? storedOf(jobId));

        if (call.stream) {
          // A background stream is not the job's lifeline: leaving it never cancels the job.
          const events = call.background
            ? followDetached(options.reader, jobId, response)
            : jobs.follow(jobId, request, response);
          await streamResponse(response, stored, events, -1);
          return;
        }
        if (call.background) {
          const record = await store.get(jobId);
          response.json(responseViewOf(stored, record ?? queuedRecord(jobId, tenant)));
          return;
        }
        const result = await jobs.waitForResult(jobId, request, response, start.announced);
        if (!result) return; // the client left
        const record = await store.get(jobId);
        if (record) response.json(responseViewOf(stored, record));
      },
    )
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/responses/:id')
    .get(requireScope('jobs:read'), async (request: Request, response: Response) => {
      const query = readRetrieveQuery(request.query);
      const found = await findResponse(options, request, response);
      const { record } = found;
      const stored = query.encryptedReasoning
        ? { ...found.stored, settings: { ...found.stored.settings, encrypted_reasoning: true } }
        : found.stored;
      if (!query.stream) {
        response.json(responseViewOf(stored, record));
        return;
      }
      const events = isFinalStatus(record.status)
        ? await finishedJobEvents(options.redis, options.keys, record)
        : followDetached(options.reader, record.id, response);
      const shown = mayReadContent(response) ? events : withoutProviderText(events);
      await streamResponse(response, stored, shown, query.startingAfter);
    })
    .delete(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const { stored, record } = await findResponse(options, request, response);
      if (!isFinalStatus(record.status)) await jobs.abandon(record.id, record.tenant);
      await responses.delete(record.tenant, stored.id);
      response.json({ id: stored.id, object: 'response', deleted: true });
    })
    .all(methodNotAllowed(['GET', 'DELETE']));

  router
    .route('/v1/responses/:id/cancel')
    .post(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const { stored, record } = await findResponse(options, request, response);
      if (!stored.settings.background) {
        throw new ClientError('invalid_request', 'Only background responses can be cancelled.');
      }
      if (record.status === 'completed' || record.status === 'failed') {
        throw new ClientError(
          'job_not_cancellable',
          `Cannot cancel a response with status '${responseViewOf(stored, record).status}'.`,
        );
      }
      await jobs.abandon(record.id, record.tenant);
      response.json(
        responseViewOf(stored, readableRecord(response, await settled(options, record))),
      );
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/responses/:id/input_items')
    // The items are the prompt: the scope `include=request` needs on the job routes.
    .get(requireScope('jobs:content'), async (request: Request, response: Response) => {
      const { stored } = await findResponse(options, request, response);
      response.json(listInputItems(stored.inputItems, request.query));
    })
    .all(methodNotAllowed(['GET']));

  return router;
}

/** Finds a tenant's stored responses with their jobs (unknown, expired, deleted, another tenant's: none). */
function lookupFor(
  { responses, store }: ResponsesRouterOptions,
  tenant: string,
): StoredResponseLookup {
  return async (responseId) => {
    const stored =
      jobIdOfResponse(responseId) === undefined
        ? undefined
        : await responses.get(tenant, responseId);
    const record = stored ? await store.get(stored.jobId) : null;
    return stored && record && record.tenant === tenant ? { stored, record } : undefined;
  };
}

/** The stored response and its job, or OpenAI's 404. */
async function findResponse(
  options: ResponsesRouterOptions,
  request: Request,
  response: Response,
): Promise<{ stored: StoredResponse; record: JobRecord }> {
  const id = String(request.params.id);
  const found = await lookupFor(options, tenantOf(response))(id);
  if (!found) throw responseNotFound(id);
  response.locals.jobId = found.record.id;
  if (mayReadContent(response)) return found;
  // The instructions, the tools' descriptions and schemas and the output's JSON schema are
  // prompt material, and a provider's error text may quote the prompt: a key that may read
  // statuses and answers but not prompts gets the response without them, in every view and
  // stream replay.
  const settings = settingsWithoutPrompt(found.stored.settings);
  return {
    stored: { ...found.stored, settings },
    record: recordWithoutProviderText(found.record),
  };
}

/** A response's job events, each without a provider's error text (see `eventWithoutProviderText`). */
async function* withoutProviderText(
  events: AsyncIterable<JobEvent> | Iterable<JobEvent>,
): AsyncGenerator<JobEvent> {
  for await (const event of events) yield eventWithoutProviderText(event);
}

/**
 * The conversation a turn continues: the previous response's own conversation (its history),
 * then its answer as an assistant message (none when it answered nothing), which begins the new
 * turn's segment. Only a stored, completed response can be continued.
 */
async function conversationAfter(
  options: ResponsesRouterOptions,
  tenant: string,
  previousId: string,
): Promise<{ history: ChatMessage[]; answer: ChatMessage[] }> {
  // The walk goes out with the lookup (one round trip fewer); it reads only this tenant's keys.
  const [found, history] = await Promise.all([
    lookupFor(options, tenant)(previousId),
    jobIdOfResponse(previousId) === undefined
      ? undefined
      : options.responses.conversation(tenant, previousId),
  ]);
  if (!found) throw responseNotFound(previousId, 'Previous response');
  const { stored, record } = found;
  if (record.status !== 'completed' || !record.result) {
    throw new ClientError(
      'invalid_request',
      `Previous response with id '${previousId}' is ${responseViewOf(stored, record).status}; only a completed response can be continued.`,
    );
  }
  // Not expected: a turn outlives its response and every turn continuing it (see ResponseStore).
  if (!history) throw responseNotFound(previousId, 'Previous response');
  const answer = record.result.content ?? [{ type: 'text' as const, text: record.result.text }];
  return {
    history,
    answer: answer.length === 0 ? [] : [{ role: 'assistant', content: answer }],
  };
}

/** The job's record once a cancel has settled it (an active job stops at its worker's pace). */
async function settled(options: ResponsesRouterOptions, record: JobRecord): Promise<JobRecord> {
  const deadline = AbortSignal.timeout(5000);
  try {
    for await (const event of options.reader.events(record.id, '0', deadline)) {
      if (event.name === 'status' && isFinalStatus(event.data.status)) break;
    }
  } catch {
    // Still stopping after the wait: the record says where it is.
  }
  return (await options.store.get(record.id)) ?? record;
}

/** A record standing in for a job just queued whose record a read missed (never expected). */
function queuedRecord(id: string, tenant: string): JobRecord {
  return {
    id,
    tenant,
    status: 'queued',
    model: '',
    priority: 5,
    createdAt: Date.now(),
    attempts: 0,
    resultWrites: 0,
  };
}
