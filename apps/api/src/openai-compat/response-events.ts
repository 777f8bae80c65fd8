import {
  isFinalStatus,
  type JobEvent,
  type JobRecord,
  type OpenAIResponsesEventWriter,
  parseStreamEntry,
  type RedisKeys,
  type ResponseStreamEvent,
} from '@llmq/core';
import type { Redis } from 'ioredis';
import { contentStreamParts, finishPartOf } from '../interactive/dialect-answer-of-result';

/**
 * A response's stream events, made from its job's event stream read from the start. The
 * writer numbers them, so every read of the same job (the first stream, a resumed one) gives
 * each event the same `sequence_number`. A job that did not stream (a background response)
 * has no deltas: its answer is written whole when it completes.
 */
export async function* responseEventsOf(
  writer: OpenAIResponsesEventWriter,
  events: AsyncIterable<JobEvent> | Iterable<JobEvent>,
): AsyncGenerator<ResponseStreamEvent> {
  yield* writer.start();
  let streamed = false;
  for await (const event of events) {
    if (event.name === 'delta') {
      streamed = true;
      const parts = event.data.parts ?? [{ type: 'text-delta', delta: event.data.text }];
      for (const part of parts) yield* writer.write(part);
      continue;
    }
    if (event.name !== 'status' || !isFinalStatus(event.data.status)) continue;
    const { status, result, error } = event.data;
    if (status === 'completed' && result) {
      if (!streamed) for (const part of contentStreamParts(result)) yield* writer.write(part);
      yield* writer.write(finishPartOf(result));
    } else if (status === 'cancelled') {
      yield* writer.fail({ code: 'cancelled', message: 'the response was cancelled' }, true);
    } else {
      yield* writer.fail({
        code: error?.code ?? 'server_error',
        message: error?.message ?? 'the response failed',
      });
    }
    return;
  }
}

/**
 * The events of a job that has ended, read at once (nothing more will be written). When they
 * expired before the record, its final status alone, made from the record.
 */
export async function finishedJobEvents(
  redis: Redis,
  keys: RedisKeys,
  record: JobRecord,
): Promise<JobEvent[]> {
  const entries = await redis.xrange(keys.jobEvents(record.id), '-', '+');
  const events = entries
    .map(([id, fields]) => parseStreamEntry(id, fields))
    .filter((event): event is JobEvent => event !== undefined);
  if (events.some((event) => event.name === 'status' && isFinalStatus(event.data.status)))
    return events;
  const data = {
    status: record.status,
    ...(record.result ? { result: record.result } : {}),
    ...(record.error ? { error: record.error } : {}),
  };
  return [{ id: '0-1', name: 'status', data, json: JSON.stringify(data) }];
}
