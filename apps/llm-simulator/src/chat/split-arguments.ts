import { countTextTokens } from '../generation/count-tokens';
import type { ReplyPiece } from '../generation/generate-reply';

/** Characters of tool-call arguments per streamed delta, about what the providers send. */
const CHARACTERS_PER_DELTA = 24;

/**
 * Tool-call arguments cut into stream deltas (OpenAI `function.arguments` chunks, Anthropic
 * `input_json_delta`); never inside a surrogate pair, so each delta is valid text.
 */
export function splitArguments(argumentsJson: string): ReplyPiece[] {
  const deltas: ReplyPiece[] = [];
  let start = 0;
  while (start < argumentsJson.length) {
    let end = Math.min(argumentsJson.length, start + CHARACTERS_PER_DELTA);
    const last = argumentsJson.charCodeAt(end - 1);
    if (end < argumentsJson.length && last >= 0xd800 && last <= 0xdbff) end += 1;
    const text = argumentsJson.slice(start, end);
    deltas.push({ text, tokens: countTextTokens(text) });
    start = end;
  }
  return deltas;
}
