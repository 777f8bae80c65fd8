import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import {
  type CacheDefaults,
  type CachePolicy,
  type CacheRequestOptions,
  cachePolicySchema,
  type EffectiveCachePolicy,
  resolveCachePolicy,
} from './cache-policy';

export interface CachePolicyStoreOptions {
  /** What applies where a tenant's policy says nothing (from configuration). */
  defaults: CacheDefaults;
  /** How long a process keeps a tenant's policy before reading it again, ms (default 5,000). */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * Per-tenant cache policies in Redis (one JSON string per tenant), read through a short
 * in-process cache like the filter policies: a change reaches every API and worker within
 * `cacheTtlMs`, and a job costs no Redis round trip for it in between.
 */
export class CachePolicyStore {
  private readonly cache = new Map<string, { policy: CachePolicy; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: CachePolicyStoreOptions,
  ) {
    this.ttlMs = options.cacheTtlMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  get defaults(): CacheDefaults {
    return this.options.defaults;
  }

  /** The tenant's own policy (`{}` when it has none); `stored` says whether it has one. */
  async read(tenant: string): Promise<{ policy: CachePolicy; stored: boolean }> {
    const raw = await this.redis.get(this.keys.cachePolicy(tenant));
    if (raw === null) return { policy: {}, stored: false };
    const parsed = cachePolicySchema.safeParse(JSON.parse(raw));
    // A policy an older version wrote that no longer parses: the defaults, not failing jobs.
    return parsed.success ? { policy: parsed.data, stored: true } : { policy: {}, stored: false };
  }

  /** The tenant's policy to apply now (cached in the process). */
  async policyFor(tenant: string): Promise<CachePolicy> {
    const cached = this.cache.get(tenant);
    if (cached && cached.expiresAt > this.now()) return cached.policy;
    const { policy } = await this.read(tenant);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenant, { policy, expiresAt: this.now() + this.ttlMs });
    return policy;
  }

  /** What applies to one request of the tenant: defaults, its policy, the request's options. */
  async effective(tenant: string, request?: CacheRequestOptions): Promise<EffectiveCachePolicy> {
    return resolveCachePolicy(tenant, this.options.defaults, await this.policyFor(tenant), request);
  }

  async write(tenant: string, policy: CachePolicy): Promise<void> {
    await this.redis.set(
      this.keys.cachePolicy(tenant),
      JSON.stringify(cachePolicySchema.parse(policy)),
    );
    this.cache.delete(tenant);
  }

  /** Removes the tenant's own policy; the defaults apply again. */
  async reset(tenant: string): Promise<void> {
    await this.redis.del(this.keys.cachePolicy(tenant));
    this.cache.delete(tenant);
  }
}
