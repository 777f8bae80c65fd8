import {
  ClientError,
  eventWithoutProviderText,
  isFinalStatus,
  isStreamId,
  type JobEvent,
  type JobEventReader,
  type JobStore,
  parseStreamEntry,
  type RedisKeys,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import type { Redis } from 'ioredis';
import { methodNotAllowed, toClientError } from '../http/api-error';
import { formatErrorBody } from '../http/error-dialect';
import type { RequireScope } from '../http/require-scope';
import { keepAlive, openEventStream, writeEvent } from '../http/sse';
import { tenantOf } from '../interactive/interactive-jobs';
import { mayReadContent, readableRecord } from './job-requests';
import { jobIdPattern } from './jobs-router';

export interface JobEventsRouterOptions {
  store: JobStore;
  reader: JobEventReader;
  redis: Redis;
  keys: RedisKeys;
  requireScope: RequireScope;
}

/**
 * `GET /v1/jobs/:id/events`: the job's status changes (`event: status`) and token deltas
 * (`event: delta`, streamed jobs only) as server-sent events. Each event's id is its Redis
 * Stream id; a client reconnecting with `Last-Event-ID` gets only the events after it. The
 * answer ends after the final status event. Another tenant's job is a 404.
 */
export function jobEventsRouter({
  store,
  reader,
  redis,
  keys,
  requireScope,
}: JobEventsRouterOptions): Router {
  const router = Router();
  router
    .route('/v1/jobs/:id/events')
    .get(requireScope('jobs:read'), async (request: Request, response: Response) => {
      const jobId = request.params.id;
      if (typeof jobId !== 'string' || !jobIdPattern.test(jobId)) throw jobNotFound();
      const stored = await store.get(jobId);
      if (!stored || stored.tenant !== tenantOf(response)) throw jobNotFound();
      const record = readableRecord(response, stored);
      // A provider's error text (in a failure) only to a key that may read prompts.
      const shown = mayReadContent(response)
        ? (event: JobEvent) => event
        : eventWithoutProviderText;
      const lastEventId = readLastEventId(request);

      if (isFinalStatus(record.status)) {
        // Nothing more will be written: send what is left and end, without blocking.
        const entries = await redis.xrange(
          keys.jobEvents(jobId),
          lastEventId ? `(${lastEventId}` : '-',
          '+',
        );
        openEventStream(response);
        const events = entries
          .map(([id, fields]) => parseStreamEntry(id, fields))
          .filter((event): event is JobEvent => event !== undefined);
        for (const event of events) write(response, shown(event));
        if (events.length === 0 && !lastEventId) {
          // The events expired before the record: one status event from the record.
          writeEvent(response, {
            event: 'status',
            data: JSON.stringify({
              status: record.status,
              ...(record.result ? { result: record.result } : {}),
              ...(record.error ? { error: record.error } : {}),
            }),
          });
        }
        response.end();
        return;
      }

      const disconnect = new AbortController();
      const onClose = () => disconnect.abort(new Error('client disconnected'));
      response.on('close', onClose);
      openEventStream(response);
      const stopKeepAlive = keepAlive(response);
      try {
        for await (const event of reader.events(jobId, lastEventId ?? '0', disconnect.signal)) {
          write(response, shown(event));
        }
      } catch (error) {
        if (!disconnect.signal.aborted) {
          writeEvent(response, {
            event: 'error',
            data: JSON.stringify(formatErrorBody(toClientError(error), 'llmq')),
          });
        }
      } finally {
        stopKeepAlive();
        response.off('close', onClose);
        if (!response.writableEnded) response.end();
      }
    })
    .all(methodNotAllowed(['GET']));
  return router;
}

function write(response: Response, event: JobEvent): void {
  writeEvent(response, { id: event.id, event: event.name, data: event.json });
}

function readLastEventId(request: Request): string | undefined {
  const value = request.headers['last-event-id'];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !isStreamId(value)) {
    throw new ClientError(
      'invalid_request',
      'Last-Event-ID must be an event id this endpoint sent',
    );
  }
  return value;
}

function jobNotFound(): ClientError {
  return new ClientError('job_not_found', 'no such job');
}
