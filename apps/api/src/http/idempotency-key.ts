import { ClientError, canonicalJson } from '@llmq/core';
import type { Request } from 'express';

/**
 * The request's `Idempotency-Key` header (1 to 255 characters), or undefined without one.
 * Keys are scoped to the tenant; the same key sent again with another body (or to another
 * route) is refused `422 idempotency_key_reused`, as Stripe does.
 */
export function readIdempotencyKey(request: Request): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new ClientError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters');
  }
  return value;
}

/**
 * A sync route's key with what its body hash also covers besides the neutral request (the
 * route, whether it streams, and the body as sent), as the submitter's options name them.
 */
export interface SyncIdempotency {
  idempotencyKey?: string;
  idempotencyScope?: string;
}

/**
 * The `Idempotency-Key` of a sync route (`chat.completions`, `messages`, `responses`): a retry
 * with the same key reattaches to the job the first request made, streamed or not as that one
 * was. The body as sent joins the hash: a field the neutral request does not carry (the
 * Responses API's `store`, `background` or `include`, a `previous_response_id`, a `user`) sent
 * otherwise with the same key is `422 idempotency_key_reused`, not a silent reattach to a job
 * made with other settings. An SDK's retry sends the same body, so it still matches.
 */
export function readSyncIdempotency(
  request: Request,
  route: string,
  stream: boolean,
): SyncIdempotency {
  const key = readIdempotencyKey(request);
  return key === undefined
    ? {}
    : {
        idempotencyKey: key,
        idempotencyScope: `${route}${stream ? ':stream' : ''}\n${canonicalJson(request.body)}`,
      };
}
