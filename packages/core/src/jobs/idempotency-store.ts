import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { claimScript, completeScript, releaseScript } from './idempotency-scripts';

export type ClaimOutcome =
  | { outcome: 'new' | 'takeover'; resourceId: string }
  | { outcome: 'existing' | 'in_progress' | 'conflict'; resourceId: string };

export interface IdempotencyStoreOptions {
  /** How long a key is remembered, seconds (default 24 h, as Stripe does). */
  ttlSeconds?: number;
  /**
   * How long a pending claim holds before a retry may take it over, ms (default 60 s): longer
   * than any creation takes, so only a creator that died loses its claim.
   */
  pendingLeaseMs?: number;
}

/**
 * A tenant's `Idempotency-Key` mapped to the resource (file, batch) the first request with it
 * created, for a bounded time. One key space per tenant, shared with job submits: the body
 * hash covers the route, so one key on two routes is a conflict. Job submits claim their keys
 * in their own accept script (`submission-store.ts`).
 */
export class IdempotencyStore {
  private readonly ttlSeconds: number;
  private readonly pendingLeaseMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: IdempotencyStoreOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 24 * 3600;
    this.pendingLeaseMs = options.pendingLeaseMs ?? 60_000;
  }

  /**
   * Claims `idempotencyKey` for `resourceId`: `pending` while the caller creates the resource
   * next (then {@link complete} or {@link release}), done when it exists already.
   */
  async claim(
    tenant: string,
    idempotencyKey: string,
    bodyHash: string,
    resourceId: string,
    { pending, now = Date.now() }: { pending: boolean; now?: number },
  ): Promise<ClaimOutcome> {
    const [outcome, id] = (await claimScript.run(
      this.redis,
      [this.key(tenant, idempotencyKey)],
      [resourceId, bodyHash, this.ttlSeconds, now, pending ? 1 : 0, this.pendingLeaseMs],
    )) as [ClaimOutcome['outcome'], string];
    return { outcome, resourceId: id } as ClaimOutcome;
  }

  /** Marks a pending claim done: its resource exists. */
  async complete(tenant: string, idempotencyKey: string, resourceId: string): Promise<void> {
    await completeScript.run(this.redis, [this.key(tenant, idempotencyKey)], [resourceId]);
  }

  /** Frees a claim whose resource could not be created, so the client's retry can succeed. */
  async release(tenant: string, idempotencyKey: string, resourceId: string): Promise<void> {
    await releaseScript.run(this.redis, [this.key(tenant, idempotencyKey)], [resourceId]);
  }

  private key(tenant: string, idempotencyKey: string): string {
    return this.keys.idempotency(tenant, sha256(idempotencyKey));
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
