import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { JobResult } from '../jobs/job-record';
import type { NormalizedRequest } from '../jobs/job-request';
import { canonicalJson } from '../jobs/job-submitter';
import type { RedisKeys } from '../redis/redis-keys';
import type { CacheMode } from './cache-mode';

export interface ExactCacheOptions {
  /** How long an answer stays cached, seconds (env `CACHE_TTL_SECONDS`, default 3600; 0 turns the cache off). */
  ttlSeconds: number;
}

/** Whether a request may be answered from (and stored in) the cache under `mode`. */
export function isCacheable(request: NormalizedRequest, mode: CacheMode = 'auto'): boolean {
  if (mode === 'bypass') return false;
  if (mode === 'force') return true;
  // A sampled answer is one draw of many: only deterministic requests repeat by default.
  return request.temperature === 0 || request.seed !== undefined;
}

/**
 * The cache key: a hash of everything that can change the answer (the model after aliases are
 * resolved, every message, and every generation parameter), under the tenant, so a cache is
 * never shared across tenants.
 */
export function exactCacheKeyHash(model: string, request: NormalizedRequest): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        model,
        messages: request.messages,
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        topP: request.topP,
        stop: request.stop,
        seed: request.seed,
      }),
    )
    .digest('hex');
}

/**
 * Complete, successful answers by exact request, in Redis (shared by every API instance and
 * worker, kept across restarts), each for a bounded time. Errors, interrupted streams and
 * filtered answers are never stored: callers store only a completed, clean result.
 */
export class ExactCache {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: ExactCacheOptions,
  ) {}

  get enabled(): boolean {
    return this.options.ttlSeconds > 0;
  }

  async get(
    tenant: string,
    model: string,
    request: NormalizedRequest,
  ): Promise<JobResult | undefined> {
    if (!this.enabled) return undefined;
    const stored = await this.redis.get(
      this.keys.exactCache(tenant, exactCacheKeyHash(model, request)),
    );
    return stored ? (JSON.parse(stored) as JobResult) : undefined;
  }

  async set(
    tenant: string,
    model: string,
    request: NormalizedRequest,
    result: JobResult,
  ): Promise<void> {
    if (!this.enabled || result.finish_reason === 'content_filter') return;
    await this.redis.set(
      this.keys.exactCache(tenant, exactCacheKeyHash(model, request)),
      JSON.stringify(result),
      'EX',
      this.options.ttlSeconds,
    );
  }
}

/** What a cache hit looks like on a job's result: marked, free, with the cost it saved. */
export function asCacheHit(cached: JobResult, timings: JobResult['timings']): JobResult {
  return {
    ...cached,
    cached: true,
    saved_cost_usd: cached.cost_usd ?? 0,
    cost_usd: 0,
    attempts: [],
    timings,
  };
}
