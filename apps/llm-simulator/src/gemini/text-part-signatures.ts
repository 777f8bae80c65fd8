import { signThinking, verifyThinking } from '../reasoning/thinking-signature';

/**
 * Thought signatures on text parts, as Gemini 2.5 and 3 thinking models give them: an answer
 * without function calls carries one on its last text part, to be sent back on that part next
 * turn (https://ai.google.dev/gemini-api/docs/thought-signatures). Gemini does not require it
 * back (it only thinks less well without it), so the simulator checks only a signature given:
 * one that does not match its part's text is refused.
 */
function signedText(text: string): string {
  return `text\u0000${text}`;
}

/** The signature the simulator puts on the last text part of a signing model's answer. */
export function signTextPart(text: string): string {
  return signThinking(signedText(text));
}

/** Whether `signature` is the one {@link signTextPart} gives `text`. */
export function verifyTextPart(text: string, signature: string): boolean {
  return verifyThinking(signedText(text), signature);
}
