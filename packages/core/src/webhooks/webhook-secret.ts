import { randomBytes } from 'node:crypto';

/** A new signing secret in the Standard Webhooks form: `whsec_` + base64 of 24 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * The secrets of one signer (an endpoint, or a tenant's per-job webhooks). After a rotation the
 * previous secret keeps signing too until `previousExpiresAt`, so receivers can switch over.
 */
export interface SecretRing {
  current: string;
  previous?: string;
  /** Epoch ms after which `previous` no longer signs. */
  previousExpiresAt?: number;
}

/** The secrets that sign a message sent at `now`: the current one first. */
export function signingSecrets(ring: SecretRing, now: number = Date.now()): string[] {
  const secrets = [ring.current];
  if (ring.previous && (ring.previousExpiresAt ?? 0) > now) secrets.push(ring.previous);
  return secrets;
}

/** Reads a ring from hash fields `secret`, `previous_secret`, `previous_expires_at`. */
export function secretRingFromFields(fields: Record<string, string>): SecretRing | undefined {
  if (!fields.secret) return undefined;
  return {
    current: fields.secret,
    previous: fields.previous_secret || undefined,
    previousExpiresAt: fields.previous_expires_at ? Number(fields.previous_expires_at) : undefined,
  };
}
