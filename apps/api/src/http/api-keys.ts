import { timingSafeEqual } from 'node:crypto';
import { type ApiKeyLimits, type ApiKeyScope, hashApiKey, tenantScopes } from '@llmq/core';

/** Who a request acts for, as authentication found it. */
export interface ApiPrincipal {
  tenant: string;
  /** The key's public id; `static:<tenant>` for keys from `API_KEYS`. */
  keyId: string;
  scopes: readonly ApiKeyScope[];
  /** `static` (env `API_KEYS` or the dev key), `stored` (issued through the admin API). */
  source: 'static' | 'stored';
  /** The issued key's stored limits (`requests_per_minute` is enforced by the gateway). */
  limits?: ApiKeyLimits;
}

export const devApiKey = 'llmq-dev-key';

/**
 * Keys from configuration (`API_KEYS=tenant:key,...`), held only as SHA-256 hashes. They get
 * every non-admin scope. Lookup compares the presented key's hash with each stored hash in
 * constant time, so timing says nothing about which key or how much of it matched.
 */
export class ApiKeyRegistry {
  /** Each key's SHA-256 as bytes, decoded once here rather than on every request. */
  private readonly entries: Array<{ digest: Buffer; principal: ApiPrincipal }> = [];

  constructor(keys: Array<{ tenant: string; key: string }>) {
    for (const { tenant, key } of keys) {
      this.entries.push({
        digest: Buffer.from(hashApiKey(key), 'hex'),
        principal: { tenant, keyId: `static:${tenant}`, scopes: tenantScopes, source: 'static' },
      });
    }
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

  /** Looks a key up by its hash (see `hashApiKey`). */
  authenticateHash(hash: string): ApiPrincipal | undefined {
    const presented = Buffer.from(hash, 'hex');
    let found: ApiPrincipal | undefined;
    // No early exit: every entry is compared, in constant time.
    for (const entry of this.entries)
      if (presented.length === entry.digest.length && timingSafeEqual(presented, entry.digest))
        found = entry.principal;
    return found;
  }

  authenticate(key: string): ApiPrincipal | undefined {
    return this.authenticateHash(hashApiKey(key));
  }
}
