import type { Redis } from 'ioredis';
import { compareStreamIds, isFinalEvent, type JobEvent, parseStreamEntry } from '../jobs/job-event';
import type { RedisKeys } from '../redis/redis-keys';

export interface JobEventReaderOptions {
  /** A connection for this reader alone: it spends its life in `XREAD BLOCK`. */
  blockingConnection: Redis;
  /** Any other connection, used to wake the blocked reader when the set of jobs changes. */
  controlConnection: Redis;
  keys: RedisKeys;
  /**
   * Longest single `XREAD BLOCK`, ms (default 1000). New subscriptions wake the reader at
   * once with `CLIENT UNBLOCK`; this bound only matters if that wake-up races the read.
   */
  blockMs?: number;
  /** Most entries read per stream per round (default 1000). */
  count?: number;
}

interface Subscription {
  key: string;
  lastId: string;
  deliver(events: JobEvent[]): void;
  fail(error: unknown): void;
}

/**
 * Reads many jobs' event streams over ONE blocking Redis connection: a single `XREAD BLOCK`
 * covers every stream someone waits on, so a thousand waiting clients cost one connection and
 * one pending command, whichever machine the worker publishing the events runs on.
 */
export class JobEventReader {
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private readonly blockMs: number;
  private readonly count: number;
  private clientId: number | undefined;
  private generation = 0;
  /** Generation of the key set the pending XREAD was sent with; -1 when not blocked. */
  private blockedGeneration = -1;
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly loop: Promise<void>;

  constructor(private readonly options: JobEventReaderOptions) {
    this.blockMs = options.blockMs ?? 1000;
    this.count = options.count ?? 1000;
    this.loop = this.run();
  }

  /**
   * Yields a job's events after `afterId` (exclusive; `0` for all of them) as they are
   * written, and ends after the final status event. Leaving the loop early unsubscribes;
   * so does `signal` (the iterator then throws its reason), even while waiting for an event.
   */
  async *events(jobId: string, afterId = '0', signal?: AbortSignal): AsyncGenerator<JobEvent> {
    const pending: JobEvent[] = [];
    let failure: unknown;
    let notify: (() => void) | undefined;
    const subscription: Subscription = {
      key: this.options.keys.jobEvents(jobId),
      lastId: afterId === '0' ? '0-0' : afterId,
      deliver: (events) => {
        pending.push(...events);
        notify?.();
      },
      fail: (error) => {
        failure = error;
        notify?.();
      },
    };
    const onAbort = () => subscription.fail(signal?.reason ?? new Error('aborted'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.add(subscription);
    try {
      for (;;) {
        while (pending.length === 0 && failure === undefined) {
          await new Promise<void>((resolve) => {
            notify = resolve;
          });
          notify = undefined;
        }
        // Events already read are handed out before a failure (an abort, a closed reader).
        if (pending.length === 0) throw failure;
        const event = pending.shift() as JobEvent;
        yield event;
        if (isFinalEvent(event)) return;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.remove(subscription);
    }
  }

  /** Stops reading; open `events` iterators fail. Does not close the given connections. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.unblock();
    await this.loop;
    for (const set of this.subscriptions.values()) {
      for (const subscription of set) subscription.fail(new Error('the event reader was closed'));
    }
    this.subscriptions.clear();
  }

  private add(subscription: Subscription): void {
    let set = this.subscriptions.get(subscription.key);
    if (!set) {
      set = new Set();
      this.subscriptions.set(subscription.key, set);
    }
    set.add(subscription);
    this.generation += 1;
    this.wake?.();
    if (this.blockedGeneration >= 0) void this.unblock();
  }

  private remove(subscription: Subscription): void {
    const set = this.subscriptions.get(subscription.key);
    set?.delete(subscription);
    // A stream nobody waits on stays in the next XREAD until then; harmless, so no wake-up.
    if (set?.size === 0) this.subscriptions.delete(subscription.key);
  }

  private async unblock(): Promise<void> {
    if (this.clientId === undefined) return;
    await this.options.controlConnection
      .call('CLIENT', 'UNBLOCK', this.clientId)
      .catch(() => undefined);
  }

  private async run(): Promise<void> {
    const connection = this.options.blockingConnection;
    while (!this.closed) {
      try {
        this.clientId ??= Number(await connection.call('CLIENT', 'ID'));
        if (this.closed) break;
        if (this.subscriptions.size === 0) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = undefined;
          continue;
        }
        const keys: string[] = [];
        const ids: string[] = [];
        for (const [key, set] of this.subscriptions) {
          keys.push(key);
          let lowest: string | undefined;
          for (const { lastId } of set) {
            if (lowest === undefined || compareStreamIds(lastId, lowest) < 0) lowest = lastId;
          }
          ids.push(lowest ?? '0-0');
        }
        this.blockedGeneration = this.generation;
        const reply = (await connection.call(
          'XREAD',
          'COUNT',
          this.count,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          ...keys,
          ...ids,
        )) as Array<[string, Array<[string, string[]]>]> | null;
        this.blockedGeneration = -1;
        if (reply) this.dispatch(reply);
      } catch (error) {
        this.blockedGeneration = -1;
        if (this.closed) break;
        // Redis went away: tell waiting readers rather than leave them hanging.
        for (const set of this.subscriptions.values()) {
          for (const subscription of set) subscription.fail(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private dispatch(reply: Array<[string, Array<[string, string[]]>]>): void {
    for (const [key, entries] of reply) {
      const set = this.subscriptions.get(key);
      if (!set) continue;
      const events: JobEvent[] = [];
      for (const [id, fields] of entries) {
        const event = parseStreamEntry(id, fields);
        if (event) events.push(event);
      }
      const lastEntry = entries[entries.length - 1];
      for (const subscription of set) {
        const fresh = events.filter((event) => compareStreamIds(event.id, subscription.lastId) > 0);
        if (lastEntry && compareStreamIds(lastEntry[0], subscription.lastId) > 0)
          subscription.lastId = lastEntry[0];
        if (fresh.length > 0) subscription.deliver(fresh);
      }
    }
  }
}
