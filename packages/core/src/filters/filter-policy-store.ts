import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { type FilterPolicy, filterPolicySchema } from './filter-policy';

export interface FilterPolicyStoreOptions {
  /** Policy for tenants without one of their own (from configuration). */
  defaults: FilterPolicy;
  /** How long a process keeps a tenant's policy before reading it again, ms (default 5,000). */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * Per-tenant filter policies in Redis (one JSON string per tenant). Reads are cached in the
 * process for a few seconds: a policy change reaches every API and worker within that time,
 * and the job path costs no Redis round trip in between.
 */
export class FilterPolicyStore {
  private readonly cache = new Map<string, { policy: FilterPolicy; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: FilterPolicyStoreOptions,
  ) {
    this.ttlMs = options.cacheTtlMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  get defaults(): FilterPolicy {
    return this.options.defaults;
  }

  /** The tenant's policy, or the defaults; `stored` says whether the tenant has its own. */
  async read(tenant: string): Promise<{ policy: FilterPolicy; stored: boolean }> {
    const raw = await this.redis.get(this.keys.filterPolicy(tenant));
    if (raw === null) return { policy: this.options.defaults, stored: false };
    const parsed = filterPolicySchema.safeParse(JSON.parse(raw));
    // A policy written by an older version that no longer parses falls back to the defaults
    // rather than failing every job of the tenant.
    return parsed.success
      ? { policy: parsed.data, stored: true }
      : { policy: this.options.defaults, stored: false };
  }

  /** The policy to apply now (cached). */
  async policyFor(tenant: string): Promise<FilterPolicy> {
    const cached = this.cache.get(tenant);
    if (cached && cached.expiresAt > this.now()) return cached.policy;
    const { policy } = await this.read(tenant);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenant, { policy, expiresAt: this.now() + this.ttlMs });
    return policy;
  }

  async write(tenant: string, policy: FilterPolicy): Promise<void> {
    await this.redis.set(
      this.keys.filterPolicy(tenant),
      JSON.stringify(filterPolicySchema.parse(policy)),
    );
    this.cache.delete(tenant);
  }

  /** Removes the tenant's own policy; the defaults apply again. */
  async reset(tenant: string): Promise<void> {
    await this.redis.del(this.keys.filterPolicy(tenant));
    this.cache.delete(tenant);
  }
}
