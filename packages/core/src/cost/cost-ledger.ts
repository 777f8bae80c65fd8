import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { recordScript } from './cost-ledger-scripts';
import { type LedgerLine, ledgerFieldsJson } from './ledger-line';
import { utcDay, utcMonth } from './utc-period';

export interface CostLedgerOptions {
  /** How long a day of the ledger is kept, days (env `USAGE_RETENTION_DAYS`, default 400). */
  retentionDays?: number;
}

/**
 * One ledger write, ready to be applied inside another transition's Lua script (see
 * `ledgerLua`): six keys and one argument.
 */
export interface LedgerWrite {
  keys: string[];
  spec: string;
}

export interface LedgerWriteOptions {
  /** When the work ended (epoch ms): picks the UTC day and month. Default now. */
  now?: number;
  /** A budget reservation to release in the same step (the job's id). */
  releaseReservation?: string;
  /** Release only part of a reservation: `{ id, nanoUsd }` (a batch line's share). */
  releasePart?: { id: string; nanoUsd: number };
}

const dayTtlSeconds = 3 * 86_400;
const monthTtlSeconds = 35 * 86_400;

/**
 * The cost ledger: per tenant, catalog model and UTC day, the spend (integer nano-dollars)
 * and the tokens (input, cached input, output) of every billed provider call, plus cache
 * hits and what they saved. Each unit of work is written once, inside the transition that
 * makes it final (the job store's finish script, the batch store's line record); the same
 * write adds the spend to the tenant's daily and monthly budget counters and releases the
 * work's budget reservation.
 */
export class CostLedger {
  private readonly retentionSeconds: number;
  /** The spec's lifetimes, the same for every write: `,"ttl":"…","dttl":"…","mttl":"…"`. */
  private readonly lifetimesJson: string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: CostLedgerOptions = {},
  ) {
    this.retentionSeconds = (options.retentionDays ?? 400) * 86_400;
    this.lifetimesJson = `,"ttl":"${this.retentionSeconds}","dttl":"${dayTtlSeconds}","mttl":"${monthTtlSeconds}"`;
  }

  /** The keys and argument of one write, for a transition script that applies it. */
  write(
    tenant: string,
    lines: readonly LedgerLine[],
    options: LedgerWriteOptions = {},
  ): LedgerWrite {
    const now = options.now ?? Date.now();
    const day = utcDay(now);
    let fields = '';
    let cost = 0;
    for (const line of lines) {
      cost += line.costNanoUsd;
      const json = ledgerFieldsJson(line);
      if (json !== '') fields += fields === '' ? json : `,${json}`;
    }
    // The JSON `JSON.stringify` wrote for `{ f, c, ttl, dttl, mttl, r?, rp?, rpa? }`, written as
    // text: every job makes one, and its field names are quoted once per model (see
    // `ledgerFieldsJson`); amounts and lifetimes are integers, which need no escaping.
    let spec = `{"f":[${fields}],"c":"${cost}"${this.lifetimesJson}`;
    if (options.releaseReservation) spec += `,"r":${JSON.stringify(options.releaseReservation)}`;
    if (options.releasePart) {
      const { id, nanoUsd } = options.releasePart;
      spec += `,"rp":${JSON.stringify(id)},"rpa":"${nanoUsd}"`;
    }
    return {
      keys: [
        this.keys.usageLedger(tenant, day),
        this.keys.budgetSpend(tenant, day),
        this.keys.budgetSpend(tenant, utcMonth(now)),
        this.keys.budgetReservations(tenant),
        this.keys.budgetReserved(tenant),
        this.keys.budgetReservationExpiry(tenant),
      ],
      spec: `${spec}}`,
    };
  }

  /**
   * Writes lines on their own, for work that has no transition of its own to ride on (a
   * cache hit the API answers without a job). Not idempotent: call it once per answer.
   */
  async record(
    tenant: string,
    lines: readonly LedgerLine[],
    options: LedgerWriteOptions = {},
  ): Promise<void> {
    const { keys, spec } = this.write(tenant, lines, options);
    await recordScript.run(this.redis, keys, [spec]);
  }
}
