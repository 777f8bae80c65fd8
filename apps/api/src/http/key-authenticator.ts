import { type ApiKeyStore, hashApiKey, isKeyActive, type Logger, type RedisKeys } from '@llmq/core';
import type { Redis } from 'ioredis';
import type { ApiKeyRegistry, ApiPrincipal } from './api-keys';

export interface KeyAuthenticatorOptions {
  staticKeys: ApiKeyRegistry;
  store: ApiKeyStore;
  /** A connection this authenticator may put into subscriber mode (it closes it). */
  subscriber: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** How long a lookup is cached in the process, ms (env `API_KEY_CACHE_MS`, default 5,000). */
  cacheTtlMs?: number;
  /** Least time between two `last_used_at` writes for one key, ms (default 60,000). */
  touchIntervalMs?: number;
  now?: () => number;
}

interface CacheEntry {
  principal: ApiPrincipal | undefined;
  /** When an issued key stops working by itself (rotation grace, expiry). */
  keyExpiresAt?: number;
  cachedUntil: number;
}

const maxCacheEntries = 10_000;

/**
 * Finds the principal for a presented key: static keys first, then issued keys in Redis.
 * Lookups are cached in the process by key hash for a few seconds, misses too (so a flood of
 * wrong keys does not become a flood of Redis reads); a revocation or rotation is announced on
 * a pub/sub channel and drops the cached entry in every API process at once, the TTL covering
 * a missed message.
 */
export class KeyAuthenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastTouched = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly touchIntervalMs: number;
  private readonly now: () => number;

  private constructor(private readonly options: KeyAuthenticatorOptions) {
    this.ttlMs = options.cacheTtlMs ?? 5000;
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  static async start(options: KeyAuthenticatorOptions): Promise<KeyAuthenticator> {
    const authenticator = new KeyAuthenticator(options);
    const channel = options.keys.apiKeyInvalidations();
    options.subscriber.on('message', (received: string, hash: string) => {
      if (received === channel) authenticator.cache.delete(hash);
    });
    await options.subscriber.subscribe(channel);
    return authenticator;
  }

  async authenticate(key: string): Promise<ApiPrincipal | undefined> {
    const hash = hashApiKey(key);
    const fromConfig = this.options.staticKeys.authenticateHash(hash);
    if (fromConfig) return fromConfig;

    const now = this.now();
    const cached = this.cache.get(hash);
    let entry: CacheEntry;
    if (cached && cached.cachedUntil > now) {
      entry = cached;
    } else {
      entry = await this.lookup(hash, now);
      if (this.cache.size >= maxCacheEntries) this.cache.clear();
      this.cache.set(hash, entry);
    }
    if (!entry.principal) return undefined;
    if (entry.keyExpiresAt !== undefined && entry.keyExpiresAt <= now) return undefined;
    this.touch(hash, entry.principal.keyId, now);
    return entry.principal;
  }

  private async lookup(hash: string, now: number): Promise<CacheEntry> {
    const record = await this.options.store.findByHash(hash);
    const cachedUntil = now + this.ttlMs;
    // Redis finds the record by the key's hash: no secret is compared byte by byte here.
    if (!record || !isKeyActive(record, now)) return { principal: undefined, cachedUntil };
    return {
      principal: {
        tenant: record.tenant,
        keyId: record.id,
        scopes: record.scopes,
        source: 'stored',
        limits: record.limits,
      },
      ...(record.expiresAt ? { keyExpiresAt: record.expiresAt } : {}),
      cachedUntil,
    };
  }

  /** Writes `last_used_at` at most once per interval per key, without waiting for it. */
  private touch(hash: string, keyId: string, now: number): void {
    const last = this.lastTouched.get(keyId) ?? 0;
    if (now - last < this.touchIntervalMs) return;
    if (this.lastTouched.size >= maxCacheEntries) this.lastTouched.clear();
    this.lastTouched.set(keyId, now);
    this.options.store.touch(hash, now).catch((error: unknown) =>
      this.options.logger.warn('api-key-touch-failed', {
        event: 'api-key-touch-failed',
        key_id: keyId,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }

  /** Drops every cached lookup (tests; after bulk changes). */
  clear(): void {
    this.cache.clear();
  }

  async close(): Promise<void> {
    await this.options.subscriber.quit().catch(() => undefined);
  }
}
