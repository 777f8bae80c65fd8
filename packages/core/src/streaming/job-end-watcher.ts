import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isFinalEvent, type JobEvent, parseStreamEntry } from '../jobs/job-event';
import type { RedisKeys } from '../redis/redis-keys';

export interface JobEndWatcherOptions {
  /** A connection for this watcher alone: it is put in subscriber mode (and quit by `close`). */
  subscriber: Redis;
  /** Any other connection: reads a job's event stream once its end is announced. */
  connection: Redis;
  keys: RedisKeys;
  /**
   * How often a waited job's stream is read again without an announcement, ms (default 1000):
   * covers a message lost while the subscriber reconnected.
   */
  recheckMs?: number;
}

/**
 * A wait for one job's end (see {@link JobEndWatcher.wait}): its event, and how to give it up
 * without an `AbortSignal` (an `AbortController` with its `abort` listener costs ~5 µs per wait
 * on Node 20; docs/performance.md, session 15).
 */
export interface JobEndWait {
  /** The job's final status event; rejects with a failed read's error or `cancel`'s reason. */
  readonly event: Promise<JobEvent>;
  /** Stops waiting: {@link event} rejects with `reason` unless it has settled already. */
  cancel(reason: unknown): void;
}

class Waiter implements JobEndWait {
  readonly event: Promise<JobEvent>;
  resolve!: (event: JobEvent) => void;
  reject!: (error: unknown) => void;

  constructor(
    private readonly waiters: Map<string, Waiter[]>,
    private readonly key: string,
    /** When the job's stream was last read for this waiter (epoch ms). */
    public readAt: number,
  ) {
    this.event = new Promise<JobEvent>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  cancel(reason: unknown): void {
    const list = this.waiters.get(this.key);
    const index = list ? list.indexOf(this) : -1;
    if (list && index >= 0) {
      list.splice(index, 1);
      if (list.length === 0) this.waiters.delete(this.key);
    }
    this.reject(reason);
  }
}

/** Announcements that came before their waiter (the submit's reply raced them), kept this long. */
const earlyLifetimeMs = 10_000;
const maxEarly = 10_000;

/**
 * Waits for jobs' final status events without holding a blocking read open per job. The job's
 * record names this process's channel (`ends_channel`, written at submit); the job store's
 * final transitions (complete, fail, cancel) `PUBLISH` there, in the same script that appends
 * the final event to the job's stream, the stream's key, the entry's id and its data: the
 * waiter gets the event the stream holds without reading it. The stream stays the source of
 * truth: a message that came before its waiter, or one missed while the subscriber reconnected
 * (then at most `recheckMs` late), is made good by reading the stream's tail.
 *
 * For non-streamed sync requests: one subscription per API process and no read per job, where
 * following the whole stream re-sent a blocking `XREAD` over every waited stream on each new
 * request and each event.
 */
export class JobEndWatcher {
  /** The channel a job's record names so that its end is announced to this process. */
  readonly channel: string;
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly early = new Map<string, number>();
  private readonly recheckMs: number;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(private readonly options: JobEndWatcherOptions) {
    this.channel = options.keys.jobEnds(randomUUID());
    this.recheckMs = options.recheckMs ?? 1000;
    this.timer = setInterval(() => this.recheck(), this.recheckMs);
    this.timer.unref();
  }

  static async start(options: JobEndWatcherOptions): Promise<JobEndWatcher> {
    const watcher = new JobEndWatcher(options);
    options.subscriber.on('message', (channel: string, message: string) => {
      if (channel === watcher.channel) watcher.announced(message);
    });
    await options.subscriber.subscribe(watcher.channel);
    return watcher;
  }

  /**
   * Waits for the job's final status event. Only for a job whose record names {@link channel}.
   * Its `event` rejects with the error of a failed read (Redis unavailable) or when cancelled.
   */
  wait(jobId: string): JobEndWait {
    const key = this.options.keys.jobEvents(jobId);
    const waiter = new Waiter(this.waiters, key, Date.now());
    const list = this.waiters.get(key);
    if (list) list.push(waiter);
    else this.waiters.set(key, [waiter]);
    if (this.early.delete(key)) void this.read([key]);
    return waiter;
  }

  /**
   * Resolves with the job's final status event once the job has ended (see {@link wait}).
   * Rejects with `signal`'s reason when it aborts, or with the error of a failed read.
   */
  finalEvent(jobId: string, signal?: AbortSignal): Promise<JobEvent> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const wait = this.wait(jobId);
    if (!signal) return wait.event;
    const onAbort = () => wait.cancel(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const stopListening = () => signal.removeEventListener('abort', onAbort);
    wait.event.then(stopListening, stopListening);
    return wait.event;
  }

  /** Stops watching; waiting callers are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const error = new Error('the job end watcher was closed');
    for (const list of this.waiters.values()) for (const waiter of list) waiter.reject(error);
    this.waiters.clear();
    await this.options.subscriber.quit().catch(() => undefined);
  }

  /** A message `<stream key>\n<entry id>\n<status data>` (see job-store-scripts.ts). */
  private announced(message: string): void {
    const keyEnd = message.indexOf('\n');
    const idEnd = message.indexOf('\n', keyEnd + 1);
    if (keyEnd < 0 || idEnd < 0) return;
    const key = message.slice(0, keyEnd);
    const list = this.waiters.get(key);
    if (!list) {
      // The submit's reply and this message arrive on two connections, in either order.
      if (this.early.size >= maxEarly) this.early.clear();
      this.early.set(key, Date.now());
      return;
    }
    const event = parseStreamEntry(message.slice(keyEnd + 1, idEnd), [
      'event',
      'status',
      'data',
      message.slice(idEnd + 1),
    ]);
    if (!event || !isFinalEvent(event)) {
      void this.read([key]);
      return;
    }
    this.waiters.delete(key);
    for (const waiter of list) waiter.resolve(event);
  }

  /**
   * Reads the streams' tails (one pipeline) and settles the waiters of each that holds the
   * final status; a failed read fails its waiters (Redis unavailable).
   */
  private async read(keys: string[]): Promise<void> {
    const now = Date.now();
    const pipeline = this.options.connection.pipeline();
    for (const key of keys) {
      for (const waiter of this.waiters.get(key) ?? []) waiter.readAt = now;
      // The final status is the last entry a job's stream gets: its tail is enough.
      pipeline.xrevrange(key, '+', '-', 'COUNT', 4);
    }
    const replies = await pipeline.exec().catch((error: unknown) => keys.map(() => [error]));
    keys.forEach((key, index) => {
      const [error, entries] = replies?.[index] ?? [new Error('no reply')];
      const list = this.waiters.get(key);
      if (!list) return;
      if (error) {
        this.waiters.delete(key);
        for (const waiter of list) waiter.reject(error);
        return;
      }
      const final = finalEventOf(entries as Array<[string, string[]]>);
      if (!final) return;
      this.waiters.delete(key);
      for (const waiter of list) waiter.resolve(final);
    });
  }

  private recheck(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const [key, at] of this.early) if (now - at > earlyLifetimeMs) this.early.delete(key);
    const due: string[] = [];
    for (const [key, list] of this.waiters) {
      if (list.every((waiter) => now - waiter.readAt >= this.recheckMs)) due.push(key);
    }
    if (due.length > 0) void this.read(due);
  }
}

/** The final status event among a stream's newest entries (newest first), if any. */
function finalEventOf(entries: Array<[string, string[]]>): JobEvent | undefined {
  for (const [id, fields] of entries) {
    const event = parseStreamEntry(id, fields);
    if (event && isFinalEvent(event)) return event;
  }
  return undefined;
}
