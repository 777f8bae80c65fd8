import { hash, randomBytes } from 'node:crypto';

/**
 * Issued keys read `llmq_<id>_<secret>`: a 12-hex public id (shown in lists and logs) and a
 * 32-byte random secret. Only the SHA-256 of the whole key is stored.
 */
export function generateApiKey(): { id: string; key: string } {
  const id = randomBytes(6).toString('hex');
  return { id, key: `llmq_${id}_${randomBytes(32).toString('base64url')}` };
}

/** The key's SHA-256, hex; one-shot `crypto.hash` (no Hash object): run on every request. */
export function hashApiKey(key: string): string {
  return hash('sha256', key);
}

/** A short, non-secret fingerprint of a presented key, for audit entries. */
export function keyFingerprint(key: string): string {
  return hashApiKey(key).slice(0, 12);
}
