import type { ReplyPiece } from './generate-reply';

/** How many tokens a streamed delta carries at least (the last one may carry fewer). */
export const TOKENS_PER_DELTA = 4;

/**
 * Groups a reply's word pieces into stream deltas of a few tokens each, always split on a
 * word boundary so every delta is valid text.
 */
export function groupReplyDeltas(
  pieces: readonly ReplyPiece[],
  tokensPerDelta = TOKENS_PER_DELTA,
): ReplyPiece[] {
  const deltas: ReplyPiece[] = [];
  let text = '';
  let tokens = 0;
  for (const piece of pieces) {
    text += piece.text;
    tokens += piece.tokens;
    if (tokens >= tokensPerDelta) {
      deltas.push({ text, tokens });
      text = '';
      tokens = 0;
    }
  }
  if (text.length > 0) deltas.push({ text, tokens });
  return deltas;
}
