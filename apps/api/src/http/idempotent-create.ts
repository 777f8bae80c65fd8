import type { IdempotencyStore } from '@llmq/core';
import { ClientError } from '@llmq/core';
import type { Response } from 'express';

/** What {@link createOnce} needs to create a resource under a claimed id, or find it again. */
export interface CreateOnceOptions<T> {
  idempotency: IdempotencyStore;
  tenant: string;
  /** The request's `Idempotency-Key`. */
  key: string;
  /** SHA-256 of the route and the canonical request body. */
  bodyHash: string;
  /** A fresh id for the resource, used when this request is the first with the key. */
  newId: string;
  /** The tenant's resource of that id, or null. */
  find: (id: string) => Promise<T | null>;
  /**
   * Creates the resource under `id`. When it throws, the key is released only if no resource
   * of that id exists (else a retry would create a second one): one that exists keeps the key.
   */
  create: (id: string) => Promise<T>;
  /**
   * Finishes a resource found again (a replay, or a takeover of a dead creator's claim) before
   * it is answered: its creator may have died, or failed on Redis, after writing it.
   */
  repair?: (resource: T) => Promise<unknown>;
  /** What to answer when the key's resource is gone (expired before its key). */
  notFound: () => ClientError;
  response: Response;
}

/**
 * Creates a resource once per `Idempotency-Key` (`POST /v1/batches`): the key is claimed
 * (pending) before the resource is created under the claimed id, so a retry finds the first
 * request's resource, waits while it is being created (409, retry), or, when its creator died
 * past the claim's lease, creates it under the same id. A replay answers with
 * `Idempotent-Replayed: true`, after `repair` has finished what its creator may have left undone.
 */
export async function createOnce<T>(options: CreateOnceOptions<T>): Promise<T> {
  const { idempotency, tenant, key, response } = options;
  const claim = await idempotency.claim(tenant, key, options.bodyHash, options.newId, {
    pending: true,
  });
  switch (claim.outcome) {
    case 'conflict':
      throw reusedKey(claim.resourceId);
    case 'in_progress':
      throw new ClientError(
        'idempotency_request_in_progress',
        'a request with this Idempotency-Key is still being processed; retry shortly',
        { id: claim.resourceId },
        { 'Retry-After': '1' },
      );
    case 'existing': {
      const found = await options.find(claim.resourceId);
      if (!found) throw options.notFound();
      await options.repair?.(found);
      response.setHeader('Idempotent-Replayed', 'true');
      return found;
    }
    case 'new':
    case 'takeover': {
      // A takeover's creator may have created the resource and died before marking it done.
      const found = claim.outcome === 'takeover' ? await options.find(claim.resourceId) : null;
      if (found) {
        await options.repair?.(found);
        response.setHeader('Idempotent-Replayed', 'true');
      }
      let created: T;
      try {
        created = found ?? (await options.create(claim.resourceId));
      } catch (error) {
        await settleFailedCreate(options, claim.resourceId);
        throw error;
      }
      await idempotency.complete(tenant, key, claim.resourceId);
      return created;
    }
    default: {
      const unreachable: never = claim;
      return unreachable;
    }
  }
}

/**
 * After a create that threw: a resource it wrote before failing keeps the key (marked done, so
 * the retry finds and repairs it at once); none frees the key for the retry; when that cannot
 * be known (Redis down), the claim stays until its lease lets a retry take it over.
 */
async function settleFailedCreate<T>(options: CreateOnceOptions<T>, id: string): Promise<void> {
  const { idempotency, tenant, key } = options;
  let found: T | null;
  try {
    found = await options.find(id);
  } catch {
    return;
  }
  const settle = found
    ? idempotency.complete(tenant, key, id)
    : idempotency.release(tenant, key, id);
  await settle.catch(() => undefined);
}

/**
 * Keeps one file per `Idempotency-Key` (`POST /v1/files`): the upload is stored first (its hash
 * is only known once it is read), then the key is claimed for it. A retry with the same key
 * and content drops its own copy and answers with the first file; other content is refused.
 */
export async function keepOnce<T>(options: {
  idempotency: IdempotencyStore;
  tenant: string;
  key: string;
  bodyHash: string;
  stored: T & { id: string };
  find: (id: string) => Promise<T | null>;
  drop: (id: string) => Promise<void>;
  notFound: () => ClientError;
  response: Response;
}): Promise<T> {
  const { idempotency, tenant, key, stored, response } = options;
  const claim = await idempotency
    .claim(tenant, key, options.bodyHash, stored.id, { pending: false })
    .catch(async (error: unknown) => {
      await options.drop(stored.id).catch(() => undefined);
      throw error;
    });
  if (claim.outcome === 'new') return stored;
  await options.drop(stored.id);
  if (claim.outcome === 'conflict') throw reusedKey(claim.resourceId);
  const found = await options.find(claim.resourceId);
  if (!found) throw options.notFound();
  response.setHeader('Idempotent-Replayed', 'true');
  return found;
}

function reusedKey(id: string): ClientError {
  return new ClientError(
    'idempotency_key_reused',
    'this Idempotency-Key was already used with a different request',
    { id },
  );
}
