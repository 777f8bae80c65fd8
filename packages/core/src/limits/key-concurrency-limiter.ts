import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { acquireScript, bindScript } from './key-concurrency-scripts';

export interface KeyConcurrencyLimiterOptions {
  /**
   * How long a place taken by a request counts before its job is known, and a job id whose
   * record is not written yet, ms (default 600,000: longer than a sync request waits). A
   * crashed API holds a place at most this long.
   */
  graceMs?: number;
  now?: () => number;
}

/** A place taken for one request; give it to the job it created, or release it. */
export interface ConcurrencySlot {
  /** Hands the place to `jobId`: held until that job ends, however it ends. */
  bind(jobId: string): Promise<void>;
  /** Gives the place back (the request created no job, or its job already ended). */
  release(): Promise<void>;
}

export type AcquireOutcome =
  | { ok: true; slot: ConcurrencySlot; active: number }
  | { ok: false; active: number };

/** How long an idle key's set lives, ms: far longer than any job stays queued. */
const setLifetimeMs = 7 * 86_400_000;

/**
 * `max_concurrent_jobs` of an API key, shared by every API instance: the key's jobs that are
 * queued or running, in one Redis set (see `key-concurrency-scripts.ts`). A job's place is
 * freed when its record shows it ended; nothing on the job's finish path has to know.
 */
export class KeyConcurrencyLimiter {
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: KeyConcurrencyLimiterOptions = {},
  ) {
    this.graceMs = options.graceMs ?? 600_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes a place for a request of `keyId`, or refuses when `limit` jobs are live. */
  async acquire(keyId: string, limit: number): Promise<AcquireOutcome> {
    const set = this.keys.apiKeyActiveJobs(keyId);
    const member = `slot:${randomUUID()}`;
    const [taken, active] = (await acquireScript.run(
      this.redis,
      [set],
      [this.now(), limit, member, this.keys.job(''), this.graceMs, setLifetimeMs],
    )) as [number, number];
    if (taken !== 1) return { ok: false, active };
    return {
      ok: true,
      active,
      slot: {
        bind: async (jobId) => {
          await bindScript.run(this.redis, [set], [member, jobId, this.now()]);
        },
        release: async () => {
          await this.redis.zrem(set, member);
        },
      },
    };
  }
}
