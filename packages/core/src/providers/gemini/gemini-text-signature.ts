/**
 * A Gemini thought signature on a text part (not a thought, not a function call). Gemini 2.5 and
 * 3 thinking models put one on an answer's last text part and want it back on that part next
 * turn. The neutral model's text parts carry no signature and every dialect already carries
 * signed reasoning (Anthropic `thinking`, OpenAI-format `thinking_blocks`, Responses reasoning
 * items), so it travels as a reasoning part with empty text whose signature is marked with
 * this prefix; sent back to Gemini, it goes on the turn's text part again, not as a thought.
 */
const textSignaturePrefix = 'llmq_gts_';

/** The reasoning part that carries a text part's signature. */
export function textSignaturePart(signature: string) {
  return { type: 'reasoning' as const, text: '', signature: `${textSignaturePrefix}${signature}` };
}

/** Gemini's signature when `signature` is a text part's (see {@link textSignaturePart}). */
export function textSignatureOf(signature: string | undefined): string | undefined {
  return signature?.startsWith(textSignaturePrefix)
    ? signature.slice(textSignaturePrefix.length)
    : undefined;
}
