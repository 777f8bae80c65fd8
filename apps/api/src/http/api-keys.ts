import { createHash } from 'node:crypto';

/** The tenant a key belongs to. Full key management (scopes, rotation) comes with security work. */
export interface ApiPrincipal {
  tenant: string;
}

export const devApiKey = 'llmq-dev-key';

/**
 * Keys held only as SHA-256 hashes; a lookup hashes the presented key, so comparison time
 * does not depend on how much of a key matched.
 */
export class ApiKeyRegistry {
  private readonly byHash = new Map<string, ApiPrincipal>();

  constructor(keys: Array<{ tenant: string; key: string }>) {
    for (const { tenant, key } of keys) this.byHash.set(hashKey(key), { tenant });
  }

  /** Parses `tenant:key,tenant:key`; throws naming the bad entry. */
  static parse(value: string): ApiKeyRegistry {
    const entries = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item, index) => {
        const separator = item.indexOf(':');
        const tenant = item.slice(0, separator);
        const key = item.slice(separator + 1);
        if (separator <= 0 || key.length < 8 || !/^[A-Za-z0-9_.-]+$/.test(tenant)) {
          throw new Error(
            `API_KEYS entry ${index + 1}: expected tenant:key with a key of 8+ characters`,
          );
        }
        return { tenant, key };
      });
    if (entries.length === 0) throw new Error('API_KEYS: no keys given');
    return new ApiKeyRegistry(entries);
  }

  authenticate(key: string): ApiPrincipal | undefined {
    return this.byHash.get(hashKey(key));
  }
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
