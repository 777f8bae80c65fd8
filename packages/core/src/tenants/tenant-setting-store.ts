import type { Redis } from 'ioredis';
import type { z } from 'zod';

export interface TenantSettingStoreOptions<Setting> {
  /** The Redis key holding one tenant's setting (a JSON string). */
  keyOf: (tenant: string) => string;
  /** Validates what is written and what is read back. */
  schema: z.ZodType<Setting>;
  /** What a tenant without a (readable) setting of its own gets. */
  fallback: Setting;
  /** How long a process keeps a tenant's setting before reading it again, ms (default 5,000). */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * One per-tenant setting in Redis (a JSON string per tenant), read through a short in-process
 * cache: a change reaches every API and worker within `cacheTtlMs`, and the job path costs no
 * Redis round trip in between. The filter and cache policy stores are built on it.
 */
export class TenantSettingStore<Setting> {
  private readonly cache = new Map<string, { setting: Setting; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly options: TenantSettingStoreOptions<Setting>,
  ) {
    this.ttlMs = options.cacheTtlMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** The tenant's own setting, or the fallback; `stored` says whether it has its own. */
  async read(tenant: string): Promise<{ setting: Setting; stored: boolean }> {
    const raw = await this.redis.get(this.options.keyOf(tenant));
    if (raw === null) return { setting: this.options.fallback, stored: false };
    const parsed = this.options.schema.safeParse(JSON.parse(raw));
    // A setting written by an older version that no longer parses falls back, rather than
    // failing every job of the tenant.
    return parsed.success
      ? { setting: parsed.data, stored: true }
      : { setting: this.options.fallback, stored: false };
  }

  /** The setting to apply now (cached in the process). */
  async get(tenant: string): Promise<Setting> {
    const cached = this.cache.get(tenant);
    if (cached && cached.expiresAt > this.now()) return cached.setting;
    const { setting } = await this.read(tenant);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tenant, { setting, expiresAt: this.now() + this.ttlMs });
    return setting;
  }

  async write(tenant: string, setting: Setting): Promise<void> {
    await this.redis.set(
      this.options.keyOf(tenant),
      JSON.stringify(this.options.schema.parse(setting)),
    );
    this.cache.delete(tenant);
  }

  /** Removes the tenant's own setting; the fallback applies again. */
  async reset(tenant: string): Promise<void> {
    await this.redis.del(this.options.keyOf(tenant));
    this.cache.delete(tenant);
  }
}
