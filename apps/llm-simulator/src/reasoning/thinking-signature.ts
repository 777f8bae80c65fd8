import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The key of the simulator's thinking signatures. Fixed, so a signature stays valid across
 * restarts and across simulator processes (a worker may reach another one for the next turn);
 * what matters is that a changed thinking text no longer matches its signature.
 */
const SIGNING_KEY = 'llmq-llm-simulator thinking signature v1';
/** Marks the simulator's signatures, as Anthropic's start with their own version bytes. */
const SIGNATURE_PREFIX = 'c2ltMQ'; // base64 of "sim1", cut to whole characters

function mac(text: string): Buffer {
  return createHmac('sha256', SIGNING_KEY).update(text).digest();
}

/** The signature of a thinking block: an HMAC-SHA256 of its text, base64. */
export function signThinking(thinking: string): string {
  return `${SIGNATURE_PREFIX}${mac(thinking).toString('base64')}`;
}

/** Whether `signature` is the simulator's signature of `thinking`. */
export function verifyThinking(thinking: string, signature: string): boolean {
  if (!signature.startsWith(SIGNATURE_PREFIX)) return false;
  const given = Buffer.from(signature.slice(SIGNATURE_PREFIX.length), 'base64');
  const expected = mac(thinking);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The opaque `data` of a redacted thinking block: its text and signature, base64. */
export function sealRedactedThinking(thinking: string): string {
  return Buffer.from(JSON.stringify([thinking, signThinking(thinking)])).toString('base64');
}

/** Whether `data` is a redacted thinking block the simulator sealed, unchanged. */
export function verifyRedactedThinking(data: string): boolean {
  try {
    const sealed: unknown = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
    return (
      Array.isArray(sealed) &&
      typeof sealed[0] === 'string' &&
      typeof sealed[1] === 'string' &&
      verifyThinking(sealed[0], sealed[1])
    );
  } catch {
    return false;
  }
}
