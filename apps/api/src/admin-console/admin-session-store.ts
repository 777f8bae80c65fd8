import { randomBytes } from 'node:crypto';
import { type ApiKeyScope, apiKeyScopeSchema, hashApiKey, type RedisKeys } from '@llmq/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ApiPrincipal } from '../http/api-keys';

const sessionSchema = z.object({
  tenant: z.string(),
  keyId: z.string(),
  scopes: z.array(apiKeyScopeSchema),
  source: z.enum(['static', 'stored']),
});

/**
 * Browser sessions for the admin console (Bull Board). The cookie holds a random token; Redis
 * holds only its SHA-256, with the principal that logged in and a TTL.
 */
export class AdminSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** Session lifetime, seconds (env `ADMIN_SESSION_TTL_SECONDS`, default 8 h). */
    readonly ttlSeconds: number,
  ) {}

  async create(principal: ApiPrincipal): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const value = JSON.stringify({
      tenant: principal.tenant,
      keyId: principal.keyId,
      scopes: principal.scopes as ApiKeyScope[],
      source: principal.source,
    });
    await this.redis.set(this.keys.adminSession(hashApiKey(token)), value, 'EX', this.ttlSeconds);
    return token;
  }

  async find(token: string): Promise<ApiPrincipal | undefined> {
    const raw = await this.redis.get(this.keys.adminSession(hashApiKey(token)));
    if (!raw) return undefined;
    const parsed = sessionSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async remove(token: string): Promise<void> {
    await this.redis.del(this.keys.adminSession(hashApiKey(token)));
  }
}
