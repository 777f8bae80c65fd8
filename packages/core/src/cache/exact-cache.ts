import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { JobResult } from '../jobs/job-record';
import type { NormalizedRequest } from '../jobs/job-request';
import { canonicalJson } from '../jobs/job-submitter';
import type { RedisKeys } from '../redis/redis-keys';
import type { CacheMode } from './cache-mode';
import type { CacheOwner } from './cache-policy';

/**
 * Where a tenant's answer is cached and for how long, from its cache policy (see
 * `CachePolicyStore.effective`): its own entries or a shared namespace's, and the TTL.
 */
export interface CachePlacement {
  owner: CacheOwner;
  /** Seconds; 0 skips the cache for this request. */
  ttlSeconds: number;
}

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
 * resolved, every message with every part, images and tool calls included, the tools, tool
 * choice, response format, reasoning and every generation parameter), under the tenant, so a
 * cache is never shared across tenants. The whole neutral request is hashed, so a field added
 * to it later is in the key without anyone remembering to add it.
 */
export function exactCacheKeyHash(model: string, request: NormalizedRequest): string {
  return createHash('sha256')
    .update(canonicalJson({ ...request, model }))
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

  /** `placement` (the tenant's cache policy) may pick a shared namespace or turn the cache off. */
  async get(
    tenant: string,
    model: string,
    request: NormalizedRequest,
    placement?: CachePlacement,
  ): Promise<JobResult | undefined> {
    if (!this.enabled || placement?.ttlSeconds === 0) return undefined;
    const stored = await this.redis.get(this.key(tenant, model, request, placement));
    return stored ? (JSON.parse(stored) as JobResult) : undefined;
  }

  /** `placement` (the tenant's cache policy and the request's options) sets owner and TTL. */
  async set(
    tenant: string,
    model: string,
    request: NormalizedRequest,
    result: JobResult,
    placement?: CachePlacement,
  ): Promise<void> {
    const ttlSeconds = placement?.ttlSeconds ?? this.options.ttlSeconds;
    if (!this.enabled || ttlSeconds <= 0 || result.finish_reason === 'content_filter') return;
    await this.redis.set(
      this.key(tenant, model, request, placement),
      JSON.stringify(result),
      'EX',
      ttlSeconds,
    );
  }

  private key(
    tenant: string,
    model: string,
    request: NormalizedRequest,
    placement: CachePlacement | undefined,
  ): string {
    const hash = exactCacheKeyHash(model, request);
    return placement?.owner.kind === 'namespace'
      ? this.keys.exactCacheShared(placement.owner.id, hash)
      : this.keys.exactCache(placement?.owner.id ?? tenant, hash);
  }
}

/**
 * What a cache hit looks like on a job's result: marked, free, with the cost it saved, and
 * which cache answered (a semantic hit with its similarity score).
 */
export function asCacheHit(
  cached: JobResult,
  timings: JobResult['timings'],
  cache: NonNullable<JobResult['cache']> = { type: 'exact' },
): JobResult {
  return {
    ...cached,
    cached: true,
    cache,
    saved_cost_usd: cached.cost_usd ?? 0,
    cost_usd: 0,
    attempts: [],
    timings,
  };
}
