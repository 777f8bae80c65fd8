import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { TenantSettingStore } from '../tenants/tenant-setting-store';
import { type FilterPolicy, filterPolicySchema } from './filter-policy';

export interface FilterPolicyStoreOptions {
  /** Policy for tenants without one of their own (from configuration). */
  defaults: FilterPolicy;
  /** How long a process keeps a tenant's policy before reading it again, ms (default 5,000). */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * Per-tenant filter policies in Redis, cached in each process for a few seconds (see
 * {@link TenantSettingStore}): a policy change reaches every API and worker within that time.
 */
export class FilterPolicyStore {
  private readonly settings: TenantSettingStore<FilterPolicy>;

  constructor(
    redis: Redis,
    keys: RedisKeys,
    private readonly options: FilterPolicyStoreOptions,
  ) {
    this.settings = new TenantSettingStore(redis, {
      keyOf: (tenant) => keys.filterPolicy(tenant),
      schema: filterPolicySchema,
      fallback: options.defaults,
      cacheTtlMs: options.cacheTtlMs,
      now: options.now,
    });
  }

  get defaults(): FilterPolicy {
    return this.options.defaults;
  }

  /** The tenant's policy, or the defaults; `stored` says whether the tenant has its own. */
  async read(tenant: string): Promise<{ policy: FilterPolicy; stored: boolean }> {
    const { setting, stored } = await this.settings.read(tenant);
    return { policy: setting, stored };
  }

  /** The policy to apply now (cached). */
  policyFor(tenant: string): Promise<FilterPolicy> {
    return this.settings.get(tenant);
  }

  write(tenant: string, policy: FilterPolicy): Promise<void> {
    return this.settings.write(tenant, policy);
  }

  /** Removes the tenant's own policy; the defaults apply again. */
  reset(tenant: string): Promise<void> {
    return this.settings.reset(tenant);
  }
}
