import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import type { Logger } from '../telemetry/logger';
import type { LlmqMetrics } from '../telemetry/metrics';
import {
  type BudgetInput,
  type BudgetLimits,
  budgetFields,
  budgetFromFields,
  budgetSchema,
  budgetToFields,
} from './budget';
import { releaseScript, reserveScript } from './budget-store-scripts';
import { fromNanoUsd, type NanoUsd } from './money';
import { utcDay, utcMonth } from './utc-period';

export interface BudgetStoreOptions {
  /** Limits of tenants that set none of their own (env `BUDGET_DAILY_HARD_USD` …). */
  defaults: BudgetLimits;
  /**
   * How long a reservation holds budget when its job never ends (a crashed API between
   * reserve and enqueue, a lost job), seconds (env `BUDGET_RESERVATION_TTL_SECONDS`, default
   * 21600). A job that is still queued after this no longer holds budget.
   */
  reservationTtlSeconds?: number;
  /**
   * How long a process remembers whether a tenant has a budget of its own, ms (env
   * `BUDGET_CACHE_MS`, default 5,000; 0: read every time). With no default limit, a tenant
   * without a budget reserves nothing, so its submits skip the reservation round trip. A budget
   * written through this store applies at once in this process and within this time in others.
   */
  cacheTtlMs?: number;
  now?: () => number;
  logger?: Logger;
  metrics?: LlmqMetrics;
}

export type ReserveOutcome =
  | { ok: true; soft?: 'daily' | 'monthly' }
  | {
      ok: false;
      period: 'daily' | 'monthly';
      limitNanoUsd: NanoUsd;
      spentNanoUsd: NanoUsd;
      reservedNanoUsd: NanoUsd;
      estimateNanoUsd: NanoUsd;
    };

/** What a tenant has spent and holds, and its limits; for the admin API. */
export interface BudgetStatus {
  budget: BudgetInput;
  spentToday: NanoUsd;
  spentThisMonth: NanoUsd;
  reserved: NanoUsd;
}

/**
 * Per-tenant spending budgets (daily and monthly, hard and soft) and the reservations that
 * make them hold under concurrency: a submit reserves its estimated worst-case cost; the job's
 * end replaces the reservation by the actual cost (the cost ledger's write releases it in the
 * job store's finish transition); a cancelled or stopped job releases it; a reservation whose
 * job never ends expires. Limits live in Redis (one hash per tenant), read inside the
 * reservation script, so a change applies to the next submit on every API process.
 */
export class BudgetStore {
  private readonly reservationTtlMs: number;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;
  private readonly hasOwn = new Map<string, { value: boolean; expiresAt: number }>();
  private readonly anyDefault: boolean;
  /** Bumped by every write here, so a read that raced a write is not cached. */
  private writes = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: BudgetStoreOptions,
  ) {
    this.reservationTtlMs = (options.reservationTtlSeconds ?? 21_600) * 1000;
    this.cacheTtlMs = options.cacheTtlMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.anyDefault = Object.values(options.defaults).some((limit) => limit !== undefined);
  }

  /** Whether any limit can apply (a default, or possibly a tenant's own). */
  get defaults(): BudgetLimits {
    return this.options.defaults;
  }

  /**
   * Reserves `estimate` nano-dollars of the tenant's budget for `id` (a job or batch id), or
   * refuses. An id that already holds a reservation is accepted again as is (a retried step).
   * `ttlSeconds` overrides how long the reservation may live (a batch's completion window).
   */
  async reserve(
    tenant: string,
    id: string,
    estimate: NanoUsd,
    now: number = Date.now(),
    ttlSeconds?: number,
  ): Promise<ReserveOutcome> {
    const day = utcDay(now);
    const month = utcMonth(now);
    const defaults = this.options.defaults;
    const limit = (value: NanoUsd | undefined) => (value === undefined ? -1 : value);
    const reply = (await reserveScript.run(
      this.redis,
      [
        this.keys.budget(tenant),
        this.keys.budgetSpend(tenant, day),
        this.keys.budgetSpend(tenant, month),
        this.keys.budgetReservations(tenant),
        this.keys.budgetReserved(tenant),
        this.keys.budgetReservationExpiry(tenant),
        this.keys.budgetSoftNotice(tenant, day),
        this.keys.budgetSoftNotice(tenant, month),
      ],
      [
        id,
        Math.max(0, Math.round(estimate)),
        now,
        now + (ttlSeconds === undefined ? this.reservationTtlMs : ttlSeconds * 1000),
        limit(defaults.dailyHard),
        limit(defaults.dailySoft),
        limit(defaults.monthlyHard),
        limit(defaults.monthlySoft),
        2 * 86_400,
        32 * 86_400,
      ],
    )) as string[];
    if (reply[0] === 'exceeded') {
      const period = reply[1] === 'monthly' ? 'monthly' : 'daily';
      this.options.metrics?.tenantBudgetUsed.set({ tenant }, 1);
      return {
        ok: false,
        period,
        limitNanoUsd: Number(reply[2]),
        spentNanoUsd: Number(reply[3]),
        reservedNanoUsd: Number(reply[4]),
        estimateNanoUsd: estimate,
      };
    }
    const ratio = Number(reply[2]);
    if (Number.isFinite(ratio)) this.options.metrics?.tenantBudgetUsed.set({ tenant }, ratio);
    const soft = reply[1] === 'daily' || reply[1] === 'monthly' ? reply[1] : undefined;
    if (soft) {
      this.options.metrics?.budgetSoftExceeded.inc({ period: soft });
      // Tenant and period only: never the prompt.
      this.options.logger?.warn('budget-soft-exceeded', {
        event: 'budget-soft-exceeded',
        tenant,
        period: soft,
      });
    }
    return soft ? { ok: true, soft } : { ok: true };
  }

  /**
   * Whether any limit (hard or soft, a default or the tenant's own) may apply to the tenant,
   * so its jobs must reserve. Without default limits this is whether the tenant has a budget
   * of its own, cached for `cacheTtlMs`: the submit path of a tenant without one costs no
   * Redis round trip. A budget another process sets reaches this one within that time; jobs
   * submitted here in between hold no reservation (they are billed all the same).
   */
  async mayApply(tenant: string): Promise<boolean> {
    if (this.anyDefault) return true;
    const cached = this.hasOwn.get(tenant);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    const writes = this.writes;
    const value = (await this.redis.exists(this.keys.budget(tenant))) === 1;
    if (writes !== this.writes) return value;
    if (this.hasOwn.size > 10_000) this.hasOwn.clear();
    this.hasOwn.set(tenant, { value, expiresAt: this.now() + this.cacheTtlMs });
    return value;
  }

  /**
   * Whether a hard limit may apply to the tenant (a default, or its own): a batch only pays for
   * pricing every line when one does.
   */
  async hasHardLimit(tenant: string): Promise<boolean> {
    const [daily, monthly] = await this.redis.hmget(
      this.keys.budget(tenant),
      budgetFields.dailyHard,
      budgetFields.monthlyHard,
    );
    const applies = (own: string | null | undefined, fallback: NanoUsd | undefined) =>
      own === null || own === undefined ? fallback !== undefined : own !== '-1';
    return (
      applies(daily, this.options.defaults.dailyHard) ||
      applies(monthly, this.options.defaults.monthlyHard)
    );
  }

  /** Releases a reservation (a job that ended without the ledger's help); a no-op when none. */
  async release(tenant: string, id: string): Promise<void> {
    await releaseScript.run(
      this.redis,
      [
        this.keys.budgetReservations(tenant),
        this.keys.budgetReserved(tenant),
        this.keys.budgetReservationExpiry(tenant),
      ],
      [id],
    );
  }

  /** The tenant's own budget fields (absent: defaults apply), its spend and its reservations. */
  async status(tenant: string, now: number = Date.now()): Promise<BudgetStatus> {
    const [fields, day, month, reserved] = await Promise.all([
      this.redis.hgetall(this.keys.budget(tenant)),
      this.redis.get(this.keys.budgetSpend(tenant, utcDay(now))),
      this.redis.get(this.keys.budgetSpend(tenant, utcMonth(now))),
      this.redis.get(this.keys.budgetReserved(tenant)),
    ]);
    return {
      budget: budgetFromFields(fields),
      spentToday: Number(day ?? 0),
      spentThisMonth: Number(month ?? 0),
      reserved: Number(reserved ?? 0),
    };
  }

  /** The limits in force for the tenant: its own fields over the defaults. */
  effectiveLimits(own: BudgetInput): BudgetLimits {
    const fields = budgetToFields(own);
    const pick = (name: keyof BudgetLimits): NanoUsd | undefined => {
      const raw = fields[budgetFields[name]];
      if (raw === undefined) return this.options.defaults[name];
      return raw === '-1' ? undefined : Number(raw);
    };
    return {
      dailyHard: pick('dailyHard'),
      dailySoft: pick('dailySoft'),
      monthlyHard: pick('monthlyHard'),
      monthlySoft: pick('monthlySoft'),
    };
  }

  /** Replaces the tenant's budget (fields left out fall back to the defaults). */
  async write(tenant: string, budget: BudgetInput): Promise<void> {
    const fields = budgetToFields(budgetSchema.parse(budget));
    const key = this.keys.budget(tenant);
    const pipeline = this.redis.multi().del(key);
    if (Object.keys(fields).length > 0) pipeline.hset(key, fields);
    await pipeline.exec();
    this.forget(tenant);
  }

  /** Removes the tenant's own budget: the defaults apply again. */
  async reset(tenant: string): Promise<void> {
    await this.redis.del(this.keys.budget(tenant));
    this.forget(tenant);
  }

  private forget(tenant: string): void {
    this.writes += 1;
    this.hasOwn.delete(tenant);
  }
}

/** USD for messages. */
export function describeUsd(nanos: NanoUsd): string {
  return `$${fromNanoUsd(nanos).toFixed(6)}`;
}
