import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { type JobFilter, jobFilterFields, matchesJobFilter } from './job-filter';
import type { JobRecord } from './job-record';

export interface JobPageOptions {
  /** Jobs per page, 1 to 1,000. */
  limit: number;
  /** A `nextCursor` of the previous page. */
  cursor?: string;
  /**
   * Index entries read at most for this page (default 10 × `limit`, at least 200): a selective
   * filter returns a short page with a cursor rather than walking the whole index.
   */
  maxScan?: number;
}

export interface JobPage {
  records: JobRecord[];
  /** Where the next page starts; absent on the last page. */
  nextCursor?: string;
}

/** Index entries read per round trip. */
const chunkSize = 100;

/**
 * Lists a tenant's jobs, newest first, from its index (a sorted set of job ids scored by
 * creation time, written with each record by the submit script): a page costs a few round
 * trips and work linear in the entries it reads, never a scan of the keyspace. The cursor is
 * the score of the last entry read, so jobs submitted while a client pages (they sort first)
 * neither shift nor repeat later pages. Entries whose record expired are
 * dropped from the index as they are met.
 */
export class JobExplorer {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly store: { get(jobId: string): Promise<JobRecord | null> },
  ) {}

  async page(tenant: string, filter: JobFilter, options: JobPageOptions): Promise<JobPage> {
    const index = this.keys.tenantJobs(tenant);
    const maxScan = options.maxScan ?? Math.max(200, options.limit * 10);
    // Newest first: from the cursor (or `created_before`) down to `created_after`. Scores are
    // unique (see `tenantJobScore`), so each chunk starts strictly below the last one read:
    // jobs added or entries dropped meanwhile shift nothing.
    let below = filter.createdBefore !== undefined ? filter.createdBefore * 1000 : undefined;
    const cursor = parseCursor(options.cursor);
    if (cursor !== undefined && (below === undefined || cursor < below)) below = cursor;
    const min = filter.createdAfter !== undefined ? String(filter.createdAfter * 1000) : '-inf';
    const matched: string[] = [];
    let scanned = 0;
    let last: number | undefined;
    let exhausted = false;
    while (matched.length < options.limit && scanned < maxScan) {
      const max = below === undefined ? '+inf' : `(${below}`;
      const count = Math.min(chunkSize, maxScan - scanned);
      const raw = await this.redis.zrange(
        index,
        max,
        min,
        'BYSCORE',
        'REV',
        'LIMIT',
        0,
        count,
        'WITHSCORES',
      );
      const entries: Array<{ id: string; score: number }> = [];
      for (let position = 0; position < raw.length; position += 2)
        entries.push({ id: raw[position] as string, score: Number(raw[position + 1]) });
      const values = await this.filterValues(entries.map((entry) => entry.id));
      const expired: string[] = [];
      let read = 0;
      for (const [position, entry] of entries.entries()) {
        if (matched.length >= options.limit) break;
        read += 1;
        last = entry.score;
        const fields = values[position] ?? [];
        if (fields.every((value) => value === null)) expired.push(entry.id);
        else if (matchesJobFilter(fields, tenant, filter)) matched.push(entry.id);
      }
      scanned += read;
      if (expired.length > 0) await this.redis.zrem(index, ...expired);
      if (entries.length < count && read === entries.length) {
        exhausted = true;
        break;
      }
      below = last;
    }
    const records = (await Promise.all(matched.map((jobId) => this.store.get(jobId)))).filter(
      (record): record is JobRecord => record !== null && record.tenant === tenant,
    );
    return {
      records,
      ...(!exhausted && last !== undefined ? { nextCursor: String(last) } : {}),
    };
  }

  /** Every matching job id of the tenant, up to `max`, newest first (for the bulk actions). */
  async *matching(tenant: string, filter: JobFilter, max: number): AsyncGenerator<JobRecord> {
    let cursor: string | undefined;
    let yielded = 0;
    do {
      const page = await this.page(tenant, filter, {
        limit: Math.min(500, max - yielded),
        ...(cursor ? { cursor } : {}),
      });
      for (const record of page.records) {
        yield record;
        yielded += 1;
      }
      cursor = page.nextCursor;
    } while (cursor && yielded < max);
  }

  private async filterValues(jobIds: string[]): Promise<Array<Array<string | null>>> {
    if (jobIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const jobId of jobIds) pipeline.hmget(this.keys.job(jobId), ...jobFilterFields);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value as Array<string | null>;
    });
  }
}

/** A cursor is the index score of the last entry read (`<created ms × 1000 + sequence>`). */
function parseCursor(cursor: string | undefined): number | undefined {
  if (!cursor || !/^\d{1,17}$/.test(cursor)) return undefined;
  return Number(cursor);
}
