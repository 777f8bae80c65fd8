import { decodeTokens, encodeText } from '../generation/count-tokens';

/** One entry of `logprobs.content`, as OpenAI sends it. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: Array<{ token: string; logprob: number; bytes: number[] }>;
}

/** Alternatives offered in `top_logprobs` after the chosen token. */
const ALTERNATIVES = [
  ' the',
  ' a',
  ' and',
  ' of',
  ' to',
  ' in',
  ' is',
  ',',
  '.',
  ' it',
  ' for',
  ' on',
  ' with',
  ' as',
  ' at',
  ' by',
  ' this',
  ' that',
  ' or',
  ' be',
  ' from',
];

/** A number in [0, 1) from a token id and its position: cheap, deterministic, well spread. */
function unitHash(tokenId: number, position: number): number {
  let hash = Math.imul(tokenId ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(position + 1, 0xc2b2ae35);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return (hash >>> 0) / 4294967296;
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * Deterministic log probabilities of `text`'s o200k tokens, the first at `startPosition` of the
 * answer: each a function of the token and its position, so a streamed answer's chunks carry
 * the same values as the whole one. The chosen token is always the most likely; `topCount`
 * alternatives follow with lower values.
 */
export function tokenLogprobs(text: string, topCount: number, startPosition = 0): TokenLogprob[] {
  return encodeText(text).map((tokenId, offset) => {
    const position = startPosition + offset;
    const token = decodeTokens([tokenId]);
    const draw = unitHash(tokenId, position);
    const logprob = round(-(draw * draw) * 2);
    const alternatives = ALTERNATIVES.filter((candidate) => candidate !== token);
    const top = [{ token, logprob, bytes: [...Buffer.from(token)] }];
    for (let index = 0; index + 1 < topCount; index += 1) {
      const candidate = alternatives[(tokenId + position + index) % alternatives.length]!;
      top.push({
        token: candidate,
        logprob: round(logprob - 1 - index - draw),
        bytes: [...Buffer.from(candidate)],
      });
    }
    return { token, logprob, bytes: [...Buffer.from(token)], top_logprobs: top };
  });
}
