import {
  ApiKeyStore,
  AuditLog,
  type FilterPolicy,
  FilterPolicyStore,
  type Logger,
  type RedisKeys,
} from '@llmq/core';
import type { Redis } from 'ioredis';
import { AdminSessionStore } from '../admin-console/admin-session-store';
import { createQueueBoard, type QueueBoard } from '../admin-console/queue-board';
import type { ApiKeyRegistry } from './api-keys';
import { KeyAuthenticator } from './key-authenticator';

/** Everything the API needs to authenticate, authorise, filter and audit. */
export interface ApiSecurity {
  authenticator: KeyAuthenticator;
  keyStore: ApiKeyStore;
  auditLog: AuditLog;
  filterPolicies: FilterPolicyStore;
  adminSessions: AdminSessionStore;
  queueBoard: QueueBoard;
  /** Origins allowed by CORS (env `CORS_ORIGINS`); empty turns CORS off. */
  corsOrigins: readonly string[];
  /** Answer 503 when a handler takes longer, ms (env `REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs: number;
  /** The admin session cookie's `Secure` flag (env `ADMIN_COOKIE_SECURE`). */
  secureCookie: boolean;
  /** Closes the invalidation subscriber and the board's queues. */
  close(): Promise<void>;
}

export interface ApiSecurityOptions {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  staticKeys: ApiKeyRegistry;
  /** A key from configuration registered with the `admin` scope (env `ADMIN_API_KEY`). */
  bootstrapAdminKey?: string;
  filterDefaults: FilterPolicy;
  filterPolicyCacheMs?: number;
  apiKeyCacheMs?: number;
  auditRetentionDays?: number;
  auditMaxEntries?: number;
  adminSessionTtlSeconds?: number;
  corsOrigins?: readonly string[];
  requestTimeoutMs?: number;
  secureCookie?: boolean;
}

/** The id under which the bootstrap admin key is listed. */
export const bootstrapAdminKeyId = '000000000000';

/** Wires the security parts from one Redis connection (it duplicates one for pub/sub). */
export async function createApiSecurity(options: ApiSecurityOptions): Promise<ApiSecurity> {
  const keyStore = new ApiKeyStore(options.redis, options.keys);
  if (options.bootstrapAdminKey) {
    await keyStore.ensure(options.bootstrapAdminKey, {
      id: bootstrapAdminKeyId,
      tenant: 'admin',
      name: 'bootstrap admin key (ADMIN_API_KEY)',
      scopes: ['admin'],
    });
  }
  const authenticator = await KeyAuthenticator.start({
    staticKeys: options.staticKeys,
    store: keyStore,
    subscriber: options.redis.duplicate(),
    keys: options.keys,
    logger: options.logger,
    ...(options.apiKeyCacheMs !== undefined ? { cacheTtlMs: options.apiKeyCacheMs } : {}),
  });
  const queueBoard = createQueueBoard(options.redis, options.keys);
  return {
    authenticator,
    keyStore,
    auditLog: new AuditLog(options.redis, options.keys, {
      retentionDays: options.auditRetentionDays ?? 90,
      maxEntries: options.auditMaxEntries ?? 100_000,
    }),
    filterPolicies: new FilterPolicyStore(options.redis, options.keys, {
      defaults: options.filterDefaults,
      ...(options.filterPolicyCacheMs !== undefined
        ? { cacheTtlMs: options.filterPolicyCacheMs }
        : {}),
    }),
    adminSessions: new AdminSessionStore(
      options.redis,
      options.keys,
      options.adminSessionTtlSeconds ?? 8 * 3600,
    ),
    queueBoard,
    corsOrigins: options.corsOrigins ?? [],
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    secureCookie: options.secureCookie ?? false,
    async close() {
      await authenticator.close();
      await queueBoard.close();
    },
  };
}
