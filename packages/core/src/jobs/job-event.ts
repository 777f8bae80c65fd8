import type { ContentStreamPart } from '../messages/stream-answer';
import type { JobFailure } from './job-failure';
import type { JobResult } from './job-record';
import { isFinalStatus, type JobStatus } from './job-status';

/**
 * Bounds of one job's event stream (a Redis Stream under `RedisKeys.jobEvents`). The stream is
 * trimmed approximately (`MAXLEN ~`), so a reader resuming from an id older than the oldest
 * kept entry gets what is left, starting with the oldest.
 */
export interface JobEventLimits {
  /** Entries kept per job (env `JOB_EVENTS_MAX_LENGTH`, default 5000). */
  maxLength: number;
  /** How long a finished job's events stay readable, seconds (env `JOB_EVENTS_TTL_SECONDS`, default 3600). */
  ttlSeconds: number;
}

export const defaultJobEventLimits: Readonly<JobEventLimits> = Object.freeze({
  maxLength: 5000,
  ttlSeconds: 3600,
});

/** Payload of a `status` event: the new status and, when final, the result or the error. */
export interface StatusEventData {
  status: JobStatus;
  /** Attempt number, on `active`. */
  attempt?: number;
  result?: JobResult;
  error?: JobFailure;
  /** Why the previous attempt failed, on a `queued` event that precedes a retry. */
  last_error?: JobFailure;
}

/** Payload of a `delta` event: text generated since the previous delta (several tokens coalesced). */
export interface DeltaEventData {
  /** The text generated since the previous delta (the first answer's, with `n` > 1). */
  text: string;
  /**
   * Every piece in order (text deltas included) when the batch holds more than text: reasoning
   * deltas and signatures, tool call starts and argument deltas, logprobs, and with `n` > 1
   * the pieces of the other answers, each naming its `choice`, and each answer's
   * `choice-end` (`finishReason`) as it ends, and before the first content the provider's
   * `response-metadata` (see `StreamPart`).
   */
  parts?: ContentStreamPart[];
}

/** Events of a speculative job's two answers; their payload is the stored result. */
export type SpeculativeEventName = 'job.initial' | 'job.upgraded';

/**
 * One entry of a job's event stream. `id` is the Redis Stream id (also the SSE event id);
 * `json` is the payload exactly as stored, relayed to SSE clients without re-encoding.
 */
export type JobEvent =
  | { id: string; name: 'status'; data: StatusEventData; json: string }
  | { id: string; name: 'delta'; data: DeltaEventData; json: string }
  | { id: string; name: SpeculativeEventName; data: JobResult; json: string };

/** Builds a {@link JobEvent} from a raw stream entry (`[id, [field, value, ...]]`); undefined if unknown. */
export function parseStreamEntry(id: string, fields: string[]): JobEvent | undefined {
  let name: string | undefined;
  let json: string | undefined;
  for (let index = 0; index + 1 < fields.length; index += 2) {
    if (fields[index] === 'event') name = fields[index + 1];
    else if (fields[index] === 'data') json = fields[index + 1];
  }
  if (json === undefined) return undefined;
  if (name === 'status') return { id, name, data: JSON.parse(json) as StatusEventData, json };
  if (name === 'delta') return { id, name, data: JSON.parse(json) as DeltaEventData, json };
  if (name === 'job.initial' || name === 'job.upgraded')
    return { id, name, data: JSON.parse(json) as JobResult, json };
  return undefined;
}

/** True for the event after which a job's stream has nothing more to say. */
export function isFinalEvent(event: JobEvent): boolean {
  return event.name === 'status' && isFinalStatus(event.data.status);
}

/** Orders Redis Stream ids (`<ms>-<seq>`); negative when `a` comes first. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = '0', aSeq = '0'] = a.split('-');
  const [bMs = '0', bSeq = '0'] = b.split('-');
  const byMs = Number(aMs) - Number(bMs);
  return byMs !== 0 ? byMs : Number(aSeq) - Number(bSeq);
}

/** A well-formed stream id (what `Last-Event-ID` must look like). */
export function isStreamId(value: string): boolean {
  return /^\d{1,20}-\d{1,20}$/.test(value);
}
