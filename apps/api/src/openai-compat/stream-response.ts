import {
  type JobEvent,
  type JobEventReader,
  OpenAIResponsesEventWriter,
  type ResponseStreamEvent,
  type StoredResponse,
} from '@llmq/core';
import type { Response } from 'express';
import { toClientError } from '../http/api-error';
import { formatErrorBody } from '../http/error-dialect';
import { keepAlive, openEventStream, writeEvent } from '../http/sse';
import { responseEventsOf } from './response-events';

/** A job's events from the start, ending with its final status or when the client leaves. */
export async function* followDetached(
  reader: JobEventReader,
  jobId: string,
  response: Response,
): AsyncGenerator<JobEvent> {
  const disconnect = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) disconnect.abort(new Error('client disconnected'));
  };
  response.on('close', onClose);
  try {
    yield* reader.events(jobId, '0', disconnect.signal);
  } catch (error) {
    if (!disconnect.signal.aborted) throw error;
  } finally {
    response.off('close', onClose);
  }
}

/** Streams a response's events after `startingAfter` as SSE, ending with its last event. */
export async function streamResponse(
  response: Response,
  stored: StoredResponse,
  events: AsyncIterable<JobEvent> | Iterable<JobEvent>,
  startingAfter: number,
): Promise<void> {
  const writer = new OpenAIResponsesEventWriter({
    id: stored.id,
    createdAt: stored.createdAt,
    settings: stored.settings,
  });
  openEventStream(response);
  const stopKeepAlive = keepAlive(response);
  let next = 0;
  try {
    for await (const event of responseEventsOf(writer, events)) {
      next = event.sequence_number + 1;
      if (event.sequence_number > startingAfter) send(response, event);
    }
  } catch (error) {
    // OpenAI's in-stream error event; the stream then closes.
    const { code, message, param } = formatErrorBody(toClientError(error), 'openai').error as {
      code: string;
      message: string;
      param: string | null;
    };
    send(response, { type: 'error', sequence_number: next, code, message, param });
  } finally {
    stopKeepAlive();
    if (!response.writableEnded) response.end();
  }
}

function send(response: Response, event: ResponseStreamEvent): void {
  writeEvent(response, { event: event.type, data: JSON.stringify(event) });
}
