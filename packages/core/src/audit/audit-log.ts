import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';

/** What an audit entry records. Never a secret: keys appear by id or fingerprint only. */
export interface AuditEvent {
  /** `<noun>-<action>`: `key-create`, `key-revoke`, `filter-policy-update`, `request-denied`, … */
  action: string;
  /** Who: the acting key's id (`static:<tenant>` for static keys), or `anonymous`. */
  actor: string;
  /** The acting key's tenant, when known. */
  actorTenant?: string;
  /** The tenant the action concerns, when it concerns one. */
  tenant?: string;
  /** What it acted on: a key id, a route, … */
  target?: string;
  /** `success`, or why it was denied (`missing_api_key`, `insufficient_scope`, …). */
  outcome: string;
  requestId?: string;
  ip?: string;
  /** Small extra facts (never secrets or prompt text). */
  details?: Record<string, unknown>;
}

export interface AuditEntry extends AuditEvent {
  id: string;
  at: string;
}

export interface AuditLogOptions {
  /** Entries older than this are trimmed, days (env `AUDIT_RETENTION_DAYS`, default 90). */
  retentionDays: number;
  /** At most this many entries are kept (env `AUDIT_MAX_ENTRIES`, default 100,000). */
  maxEntries: number;
}

/**
 * Append-only audit log in a Redis Stream. Each append trims by count (approximate, cheap)
 * and by age, so the stream stays bounded even under a flood of denied requests.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: AuditLogOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async append(event: AuditEvent): Promise<string> {
    const fields: string[] = [
      'action',
      event.action,
      'actor',
      event.actor,
      'outcome',
      event.outcome,
    ];
    const optional: Array<[string, string | undefined]> = [
      ['actor_tenant', event.actorTenant],
      ['tenant', event.tenant],
      ['target', event.target],
      ['request_id', event.requestId],
      ['ip', event.ip],
      ['details', event.details ? JSON.stringify(event.details) : undefined],
    ];
    for (const [name, value] of optional) if (value !== undefined) fields.push(name, value);
    const minId = this.now() - this.options.retentionDays * 86_400_000;
    // Exact by age (few entries lapse per append), approximate by count (cheap on a flood).
    const results = await this.redis
      .multi()
      .xtrim(this.keys.auditLog(), 'MINID', minId)
      .xadd(this.keys.auditLog(), 'MAXLEN', '~', this.options.maxEntries, '*', ...fields)
      .exec();
    return String(results?.[1]?.[1] ?? '');
  }

  /** Newest first; `before` is an entry id to page from (exclusive). */
  async list(options: { limit: number; before?: string }): Promise<AuditEntry[]> {
    const end = options.before ? `(${options.before}` : '+';
    const rows = await this.redis.xrevrange(this.keys.auditLog(), end, '-', 'COUNT', options.limit);
    return rows.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let index = 0; index + 1 < flat.length; index += 2)
        fields[flat[index] as string] = flat[index + 1] as string;
      return {
        id,
        at: new Date(Number(id.split('-')[0])).toISOString(),
        action: fields.action ?? '',
        actor: fields.actor ?? '',
        outcome: fields.outcome ?? '',
        ...(fields.actor_tenant ? { actorTenant: fields.actor_tenant } : {}),
        ...(fields.tenant ? { tenant: fields.tenant } : {}),
        ...(fields.target ? { target: fields.target } : {}),
        ...(fields.request_id ? { requestId: fields.request_id } : {}),
        ...(fields.ip ? { ip: fields.ip } : {}),
        ...(fields.details ? { details: JSON.parse(fields.details) } : {}),
      };
    });
  }
}
