import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../redis/redis-keys';
import { generateApiKey, hashApiKey } from './api-key-format';
import { type ApiKeyLimits, storedApiKeyLimitsSchema } from './api-key-limits';
import { type ApiKeyScope, apiKeyScopeSchema } from './api-key-scopes';

/** An API key as stored and listed (never with its secret). Times are epoch milliseconds. */
export interface ApiKeyRecord {
  id: string;
  tenant: string;
  name?: string;
  scopes: ApiKeyScope[];
  limits: ApiKeyLimits;
  createdAt: number;
  lastUsedAt?: number;
  /** Set when the key was revoked; it no longer authenticates. */
  revokedAt?: number;
  /** The key stops working at this time (rotation grace period or a requested expiry). */
  expiresAt?: number;
  /** Id of the key that replaced this one by rotation. */
  rotatedTo?: string;
}

export interface CreateApiKeyOptions {
  tenant: string;
  scopes: ApiKeyScope[];
  name?: string;
  limits?: ApiKeyLimits;
  expiresAt?: number;
}

const storedSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string().optional(),
  scopes: z.string(),
  limits: z.string().optional(),
  created_at: z.coerce.number(),
  last_used_at: z.coerce.number().optional(),
  revoked_at: z.coerce.number().optional(),
  expires_at: z.coerce.number().optional(),
  rotated_to: z.string().optional(),
});

function parseRecord(fields: Record<string, string>): ApiKeyRecord | null {
  const parsed = storedSchema.safeParse(fields);
  if (!parsed.success) return null;
  const stored = parsed.data;
  return {
    id: stored.id,
    tenant: stored.tenant,
    ...(stored.name ? { name: stored.name } : {}),
    scopes: z.array(apiKeyScopeSchema).parse(JSON.parse(stored.scopes)),
    limits: storedApiKeyLimitsSchema.parse(stored.limits ? JSON.parse(stored.limits) : {}),
    createdAt: stored.created_at,
    ...(stored.last_used_at ? { lastUsedAt: stored.last_used_at } : {}),
    ...(stored.revoked_at ? { revokedAt: stored.revoked_at } : {}),
    ...(stored.expires_at ? { expiresAt: stored.expires_at } : {}),
    ...(stored.rotated_to ? { rotatedTo: stored.rotated_to } : {}),
  };
}

/** Whether a key record authenticates at `now`. */
export function isKeyActive(record: ApiKeyRecord, now: number): boolean {
  return (
    record.revokedAt === undefined && (record.expiresAt === undefined || record.expiresAt > now)
  );
}

/**
 * API keys in Redis: one hash per key under the key's SHA-256, an id → hash index and a set
 * of ids per tenant. Revocation and rotation publish the hash so every process drops its
 * cached lookup at once.
 */
export class ApiKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a key; the returned `key` is the only time the secret exists outside the client. */
  async create(options: CreateApiKeyOptions): Promise<{ key: string; record: ApiKeyRecord }> {
    const { id, key } = generateApiKey();
    const record: ApiKeyRecord = {
      id,
      tenant: options.tenant,
      ...(options.name ? { name: options.name } : {}),
      scopes: [...new Set(options.scopes)],
      limits: options.limits ?? {},
      createdAt: this.now(),
      ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
    };
    await this.insert(hashApiKey(key), record);
    return { key, record };
  }

  /**
   * Registers a key whose secret comes from configuration (the bootstrap admin key). Idempotent:
   * the same secret always maps to the same record, created once.
   */
  async ensure(key: string, options: CreateApiKeyOptions & { id: string }): Promise<ApiKeyRecord> {
    const hash = hashApiKey(key);
    const existing = await this.findByHash(hash);
    if (existing) return existing;
    const record: ApiKeyRecord = {
      id: options.id,
      tenant: options.tenant,
      ...(options.name ? { name: options.name } : {}),
      scopes: [...new Set(options.scopes)],
      limits: options.limits ?? {},
      createdAt: this.now(),
    };
    await this.insert(hash, record);
    return record;
  }

  private async insert(hash: string, record: ApiKeyRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.apiKey(hash), {
        id: record.id,
        tenant: record.tenant,
        ...(record.name ? { name: record.name } : {}),
        scopes: JSON.stringify(record.scopes),
        limits: JSON.stringify(record.limits),
        created_at: record.createdAt,
        ...(record.expiresAt ? { expires_at: record.expiresAt } : {}),
      })
      .set(this.keys.apiKeyId(record.id), hash)
      .sadd(this.keys.tenantApiKeys(record.tenant), record.id)
      .sadd(this.keys.tenants(), record.tenant)
      .exec();
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const fields = await this.redis.hgetall(this.keys.apiKey(hash));
    return Object.keys(fields).length === 0 ? null : parseRecord(fields);
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const hash = await this.redis.get(this.keys.apiKeyId(id));
    return hash ? this.findByHash(hash) : null;
  }

  /** Keys of one tenant, or of every tenant; newest first. */
  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    const tenants = tenant ? [tenant] : await this.redis.smembers(this.keys.tenants());
    const ids = (
      await Promise.all(tenants.map((name) => this.redis.smembers(this.keys.tenantApiKeys(name))))
    ).flat();
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records
      .filter((record): record is ApiKeyRecord => record !== null)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Records a use; callers throttle this (at most once a minute per key). */
  async touch(hash: string, at: number = this.now()): Promise<void> {
    await this.redis.hset(this.keys.apiKey(hash), 'last_used_at', at);
  }

  /** Revokes a key at once. Returns the record, or null when there is no such key. */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const hash = await this.redis.get(this.keys.apiKeyId(id));
    if (!hash) return null;
    const record = await this.findByHash(hash);
    if (!record) return null;
    if (record.revokedAt === undefined) {
      await this.redis.hset(this.keys.apiKey(hash), 'revoked_at', this.now());
      await this.invalidate(hash);
    }
    return this.findByHash(hash);
  }

  /** Updates scopes, name or limits of a key. */
  async update(
    id: string,
    changes: { scopes?: ApiKeyScope[]; name?: string; limits?: ApiKeyLimits },
  ): Promise<ApiKeyRecord | null> {
    const hash = await this.redis.get(this.keys.apiKeyId(id));
    if (!hash || !(await this.findByHash(hash))) return null;
    const fields: Record<string, string> = {};
    if (changes.scopes) fields.scopes = JSON.stringify([...new Set(changes.scopes)]);
    if (changes.name !== undefined) fields.name = changes.name;
    if (changes.limits) fields.limits = JSON.stringify(changes.limits);
    if (Object.keys(fields).length > 0) await this.redis.hset(this.keys.apiKey(hash), fields);
    await this.invalidate(hash);
    return this.findByHash(hash);
  }

  /**
   * Issues a replacement with the same tenant, scopes and limits; the old key keeps working
   * for `graceSeconds` (0 ends it now) so clients can switch without an outage.
   */
  async rotate(
    id: string,
    graceSeconds: number,
  ): Promise<{ key: string; record: ApiKeyRecord; previous: ApiKeyRecord } | null> {
    const hash = await this.redis.get(this.keys.apiKeyId(id));
    const old = hash ? await this.findByHash(hash) : null;
    if (!hash || !old || !isKeyActive(old, this.now())) return null;
    const created = await this.create({
      tenant: old.tenant,
      scopes: old.scopes,
      ...(old.name ? { name: old.name } : {}),
      limits: old.limits,
    });
    const graceEnd = this.now() + graceSeconds * 1000;
    const expiresAt = old.expiresAt === undefined ? graceEnd : Math.min(old.expiresAt, graceEnd);
    await this.redis.hset(this.keys.apiKey(hash), {
      expires_at: expiresAt,
      rotated_to: created.record.id,
    });
    await this.invalidate(hash);
    const previous = await this.findByHash(hash);
    return previous ? { ...created, previous } : null;
  }

  private async invalidate(hash: string): Promise<void> {
    await this.redis.publish(this.keys.apiKeyInvalidations(), hash);
  }
}

/** The JSON a client sees for a key (`/v1/admin/keys`). */
export function toApiKeyView(record: ApiKeyRecord, now: number = Date.now()) {
  const iso = (value: number | undefined) => (value ? new Date(value).toISOString() : null);
  return {
    id: record.id,
    object: 'api_key' as const,
    tenant: record.tenant,
    name: record.name ?? null,
    scopes: record.scopes,
    limits: record.limits,
    status: record.revokedAt
      ? ('revoked' as const)
      : isKeyActive(record, now)
        ? ('active' as const)
        : ('expired' as const),
    created_at: iso(record.createdAt),
    last_used_at: iso(record.lastUsedAt),
    revoked_at: iso(record.revokedAt),
    expires_at: iso(record.expiresAt),
    rotated_to: record.rotatedTo ?? null,
  };
}
