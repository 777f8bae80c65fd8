import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';

/** One page of a tenant's failed jobs, newest first. */
export interface DeadLetterPage {
  jobIds: string[];
  /** Pass as `before` to read the next page; absent on the last page. */
  nextCursor?: string;
}

/**
 * Index of each tenant's failed jobs (a sorted set scored by failure time). Entries older than
 * the retention are trimmed on every write; the job records themselves expire with the
 * result TTL, so the index never outlives what it points to for long.
 */
export class DeadLetterStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** How long a failed job stays listed, seconds (the result TTL). */
    private readonly retentionSeconds: number,
  ) {}

  async add(tenant: string, jobId: string, failedAt: number): Promise<void> {
    const key = this.keys.deadLetters(tenant);
    await this.redis
      .multi()
      .zadd(key, failedAt, jobId)
      .zremrangebyscore(key, '-inf', failedAt - this.retentionSeconds * 1000)
      .expire(key, this.retentionSeconds)
      .exec();
  }

  async remove(tenant: string, jobId: string): Promise<void> {
    await this.redis.zrem(this.keys.deadLetters(tenant), jobId);
  }

  /**
   * A page of the tenant's failed job ids, newest first.
   * @param before a `nextCursor` from the previous page
   */
  async list(
    tenant: string,
    { limit, before, now = Date.now() }: { limit: number; before?: string; now?: number },
  ): Promise<DeadLetterPage> {
    const key = this.keys.deadLetters(tenant);
    const oldest = now - this.retentionSeconds * 1000;
    // The cursor is `score:jobId` of the last item shown; ties on the score are skipped past
    // by id, so no failure is listed twice or missed.
    let max = '+inf';
    let afterId: string | undefined;
    if (before) {
      const [score, id] = before.split(':', 2);
      if (score && /^\d+$/.test(score)) {
        max = score;
        afterId = id;
      }
    }
    const raw = await this.redis.zrevrangebyscore(
      key,
      max,
      oldest,
      'WITHSCORES',
      'LIMIT',
      0,
      limit + 1 + (afterId ? 50 : 0),
    );
    const items: Array<{ id: string; score: string }> = [];
    for (let index = 0; index < raw.length; index += 2)
      items.push({ id: raw[index] as string, score: raw[index + 1] as string });
    let start = 0;
    if (afterId) {
      const position = items.findIndex((item) => item.score === max && item.id === afterId);
      if (position >= 0) start = position + 1;
      else start = items.findIndex((item) => item.score !== max || item.id < afterId);
      if (start < 0) start = items.length;
    }
    const page = items.slice(start, start + limit);
    const hasMore = items.length > start + limit;
    const last = page[page.length - 1];
    return {
      jobIds: page.map((item) => item.id),
      ...(hasMore && last ? { nextCursor: `${last.score}:${last.id}` } : {}),
    };
  }
}
