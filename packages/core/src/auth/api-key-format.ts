import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Issued keys read `llmq_<id>_<secret>`: a 12-hex public id (shown in lists and logs) and a
 * 32-byte random secret. Only the SHA-256 of the whole key is stored.
 */
export function generateApiKey(): { id: string; key: string } {
  const id = randomBytes(6).toString('hex');
  return { id, key: `llmq_${id}_${randomBytes(32).toString('base64url')}` };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Constant-time equality of two hex digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A short, non-secret fingerprint of a presented key, for audit entries. */
export function keyFingerprint(key: string): string {
  return hashApiKey(key).slice(0, 12);
}
