import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { TenantSettingStore } from '../tenants/tenant-setting-store';
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
 * Per-tenant cache policies in Redis, cached in each process like the filter policies (see
 * {@link TenantSettingStore}): a change reaches every API and worker within `cacheTtlMs`.
 */
export class CachePolicyStore {
  private readonly settings: TenantSettingStore<CachePolicy>;

  constructor(
    redis: Redis,
    keys: RedisKeys,
    private readonly options: CachePolicyStoreOptions,
  ) {
    this.settings = new TenantSettingStore(redis, {
      keyOf: (tenant) => keys.cachePolicy(tenant),
      schema: cachePolicySchema,
      fallback: {},
      cacheTtlMs: options.cacheTtlMs,
      now: options.now,
    });
  }

  get defaults(): CacheDefaults {
    return this.options.defaults;
  }

  /** The tenant's own policy (`{}` when it has none); `stored` says whether it has one. */
  async read(tenant: string): Promise<{ policy: CachePolicy; stored: boolean }> {
    const { setting, stored } = await this.settings.read(tenant);
    return { policy: setting, stored };
  }

  /** The tenant's policy to apply now (cached in the process). */
  policyFor(tenant: string): Promise<CachePolicy> {
    return this.settings.get(tenant);
  }

  /** What applies to one request of the tenant: defaults, its policy, the request's options. */
  async effective(tenant: string, request?: CacheRequestOptions): Promise<EffectiveCachePolicy> {
    return resolveCachePolicy(tenant, this.options.defaults, await this.policyFor(tenant), request);
  }

  write(tenant: string, policy: CachePolicy): Promise<void> {
    return this.settings.write(tenant, policy);
  }

  /** Removes the tenant's own policy; the defaults apply again. */
  reset(tenant: string): Promise<void> {
    return this.settings.reset(tenant);
  }
}
