import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../redis/redis-keys';
import { TenantSettingStore } from './tenant-setting-store';

/**
 * A tenant's flow control, set by an operator (`PUT /v1/admin/tenants/{tenant}/flow`):
 * its weight in every lane's turn-taking and its cap on running jobs.
 */
export const tenantFlowSchema = z
  .object({
    /**
     * The tenant's share of a saturated lane relative to other tenants (default 1): a tenant
     * of weight 3 gets three turns to a weight-1 tenant's one. 0.01 to 1000.
     */
    weight: z.number().min(0.01).max(1000).optional(),
    /** Jobs of the tenant running at once across every worker (absent: no cap). */
    max_running_jobs: z.number().int().positive().max(100_000).optional(),
  })
  .strict();
export type TenantFlow = z.infer<typeof tenantFlowSchema>;

/** The weight of a tenant without one of its own. */
export const defaultTenantWeight = 1;

/**
 * Tenants' flow settings in Redis (one JSON string per tenant), read through a short
 * in-process cache, so the submit and start paths mostly cost no extra round trip.
 */
export class TenantFlowStore extends TenantSettingStore<TenantFlow> {
  constructor(redis: Redis, keys: RedisKeys, options: { cacheTtlMs?: number } = {}) {
    super(redis, {
      keyOf: (tenant) => keys.tenantFlow(tenant),
      schema: tenantFlowSchema,
      fallback: {},
      ...options,
    });
  }

  /** The tenant's lane weight (cached). */
  async weightOf(tenant: string): Promise<number> {
    return (await this.get(tenant)).weight ?? defaultTenantWeight;
  }

  /** The tenant's running-job cap, or undefined for none (cached). */
  async runningCapOf(tenant: string): Promise<number | undefined> {
    return (await this.get(tenant)).max_running_jobs;
  }
}
