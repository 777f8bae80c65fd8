import type { Redis } from 'ioredis';
import type { DeltaEventData } from '../jobs/job-event';
import { defaultJobEventLimits, type JobEventLimits } from '../jobs/job-event';
import type { ContentStreamPart } from '../messages/stream-answer';
import { choiceOf } from '../messages/stream-part';
import type { RedisKeys } from '../redis/redis-keys';

/**
 * Publishes a running job's token deltas to its event stream. Deltas that arrive while a
 * write is in flight are coalesced into the next one, so a fast stream costs one pipelined
 * round trip per batch, not per token, and a slow one is written as each token arrives.
 * Each write also reads the job's stop flag ({@link requestJobStop}), for free.
 */
export class JobDeltaPublisher {
  /** Pieces not yet written, in order (text deltas and the other content parts). */
  private buffer: ContentStreamPart[] = [];
  /** The provider's `response-metadata`, held until the first content part goes out with it. */
  private metadata: ContentStreamPart | undefined;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;
  private deltasPushed = false;
  private stopFlag = false;
  private readonly limits: JobEventLimits;
  private readonly eventsKey: string;
  private readonly stopKey: string;

  constructor(
    private readonly redis: Redis,
    keys: RedisKeys,
    jobId: string,
    limits: Partial<JobEventLimits> = {},
  ) {
    this.limits = { ...defaultJobEventLimits, ...limits };
    this.eventsKey = keys.jobEvents(jobId);
    this.stopKey = keys.jobCancelRequest(jobId);
  }

  /** True once any delta was handed over: a retry would now repeat text the client saw. */
  get published(): boolean {
    return this.deltasPushed;
  }

  /** True once the job's client asked to stop it. */
  get stopRequested(): boolean {
    return this.stopFlag;
  }

  /** Queues a delta; it is written now if no write is in flight, else with the next batch. */
  push(text: string): void {
    if (text === '') return;
    this.pushPart({ type: 'text-delta', delta: text });
  }

  /**
   * Queues any part but `finish` (reasoning, tool call starts and argument deltas, text, an
   * `n` > 1 answer's `choice-end`), in order with the others; the provider's
   * `response-metadata` goes out first, with the first of them.
   */
  pushPart(part: ContentStreamPart): void {
    if (part.type === 'response-metadata') {
      // Held, not written: it alone shows the client nothing, so it neither costs a write nor
      // makes the call `published` (a retry or a fallback may still replace it).
      this.metadata = part;
      return;
    }
    if (part.type === 'text-delta' && part.delta === '' && !part.logprobs?.length) return;
    this.deltasPushed = true;
    if (this.metadata !== undefined) {
      this.buffer.push(this.metadata);
      this.metadata = undefined;
    }
    this.buffer.push(part);
    if (!this.inFlight) this.inFlight = this.drain();
  }

  /**
   * True when an earlier attempt of this job already published deltas (its worker died
   * mid-stream and the job was recovered): a new attempt would repeat text the client has.
   * The stream then ends `…, delta, active`; a retry after an error before any delta ends
   * `…, active, queued, active`. Marks this publisher as published when true.
   */
  async detectEarlierDeltas(): Promise<boolean> {
    const latest = await this.redis.xrevrange(this.eventsKey, '+', '-', 'COUNT', 2);
    const earlier = latest.some(([, fields]) => fields[0] === 'event' && fields[1] === 'delta');
    if (earlier) this.deltasPushed = true;
    return earlier;
  }

  /** Reads the stop flag now (for when no deltas flow, e.g. before the first token). */
  async checkStop(): Promise<boolean> {
    if (!this.stopFlag) this.stopFlag = (await this.redis.exists(this.stopKey)) === 1;
    return this.stopFlag;
  }

  /** Waits until every pushed delta is written; throws if a write failed. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure;
  }

  private async drain(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const data = deltaEventData(this.buffer);
        this.buffer = [];
        const replies = await this.redis
          .pipeline()
          .xadd(
            this.eventsKey,
            'MAXLEN',
            '~',
            this.limits.maxLength,
            '*',
            'event',
            'delta',
            'data',
            JSON.stringify(data),
          )
          .exists(this.stopKey)
          .exec();
        const error = replies?.find(([replyError]) => replyError)?.[0];
        if (error) throw error;
        if (replies?.[1]?.[1] === 1) this.stopFlag = true;
      }
    } catch (error) {
      this.failure ??= error;
      this.buffer = [];
    } finally {
      this.inFlight = undefined;
    }
  }
}

/**
 * One `delta` event of coalesced pieces: `text` is their text (the first answer's, when an
 * `n` > 1 stream carries several); `parts` (only when some piece is not plain text of the first
 * answer: reasoning, tool calls, a text delta's logprobs, another answer's piece, an answer's
 * `choice-end`) is every piece in order, text deltas included, so a reader can replay them.
 */
function deltaEventData(pieces: readonly ContentStreamPart[]): DeltaEventData {
  let text = '';
  for (const piece of pieces)
    if (piece.type === 'text-delta' && choiceOf(piece) === 0) text += piece.delta;
  if (
    pieces.every(
      (piece) =>
        piece.type === 'text-delta' && piece.logprobs === undefined && choiceOf(piece) === 0,
    )
  )
    return { text };
  return { text, parts: coalesce(pieces) };
}

/**
 * Adjacent text (with their logprobs) and reasoning deltas of one answer joined, so an event
 * stays small. Nothing is joined across another piece, so a `choice-end` keeps its place.
 */
function coalesce(pieces: readonly ContentStreamPart[]): ContentStreamPart[] {
  const joined: ContentStreamPart[] = [];
  for (const piece of pieces) {
    const last = joined.at(-1);
    const sameChoice = last !== undefined && choiceOf(last) === choiceOf(piece);
    if (sameChoice && last.type === 'text-delta' && piece.type === 'text-delta') {
      last.delta += piece.delta;
      // `last` is this function's own copy (below), so its logprobs list can grow in place.
      if (piece.logprobs !== undefined) {
        last.logprobs ??= [];
        for (const entry of piece.logprobs) last.logprobs.push(entry);
      }
    } else if (sameChoice && last.type === 'reasoning-delta' && piece.type === 'reasoning-delta')
      last.delta += piece.delta;
    else if (piece.type === 'text-delta')
      joined.push({
        type: 'text-delta',
        delta: piece.delta,
        ...(piece.logprobs !== undefined ? { logprobs: [...piece.logprobs] } : {}),
        ...(piece.choice !== undefined ? { choice: piece.choice } : {}),
      });
    else if (piece.type === 'reasoning-delta') joined.push({ ...piece });
    else joined.push(piece);
  }
  return joined;
}
