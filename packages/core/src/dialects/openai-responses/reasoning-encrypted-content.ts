import type { ReasoningPart } from '../../messages/content-part';

/**
 * A reasoning item's `encrypted_content` is opaque to clients: llmq puts there what a provider
 * needs to take the reasoning back next turn. For a Claude model that is Anthropic's signature
 * of the thinking block, or a redacted thinking block's data behind {@link redactedPrefix}.
 */
const redactedPrefix = 'llmq-redacted:';

/** The `encrypted_content` of a reasoning part, or null when it carries nothing to send back. */
export function encryptedContentOf(part: ReasoningPart): string | null {
  if (part.redactedData !== undefined) return redactedPrefix + part.redactedData;
  return part.signature ?? null;
}

/** A reasoning part from a reasoning item's text and `encrypted_content`. */
export function reasoningPartOfEncrypted(
  text: string,
  encrypted: string | null | undefined,
): ReasoningPart {
  if (encrypted == null) return { type: 'reasoning', text };
  if (encrypted.startsWith(redactedPrefix))
    return { type: 'reasoning', text: '', redactedData: encrypted.slice(redactedPrefix.length) };
  return { type: 'reasoning', text, signature: encrypted };
}
