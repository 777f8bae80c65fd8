import { countTextTokens, decodeTokens, encodeHead } from './count-tokens';
import { extractEcho } from './extract-echo';
import { createSeededRandom, type RandomSource, randomInteger } from './seeded-random';
import { getVocabulary, type TokenizedPiece } from './vocabulary';

/** A run of reply text and how many tokens it stands for (used to pace and split streams). */
export interface ReplyPiece {
  text: string;
  tokens: number;
}

/** Why a reply ended; each provider names these its own way. */
export type ReplyFinish = 'complete' | 'max-tokens' | 'stop-sequence';

/** A reply, the same whether it is sent whole or streamed. */
export interface Reply {
  text: string;
  /** Consecutive runs of `text` (joined they are `text`), split on word boundaries. */
  pieces: readonly ReplyPiece[];
  /** o200k tokens in `text`: what `usage` reports. */
  completionTokens: number;
  finish: ReplyFinish;
  /** The stop sequence that ended the reply, when `finish` is `stop-sequence`. */
  stopSequence: string | null;
}

/** What a reply depends on. */
export interface ReplyRequest {
  /** Canonical request text the PRNG is seeded from (see `replySeedMaterial`). */
  seedMaterial: string;
  /** Text of the last user message or the prompt; an `echo:` in it decides the reply. */
  lastUserText: string;
  /** Upper bound on completion tokens; `null` for none. */
  maxTokens: number | null;
  stopSequences: readonly string[];
}

/** Bounds of a generated reply's length in tokens, before `maxTokens` applies. */
const SHORTEST_REPLY_TOKENS = 20;
const LONGEST_REPLY_TOKENS = 120;

/** Generated replies remembered; benchmarks and tests send the same requests again and again. */
const REMEMBERED_REPLIES = 1_000;
/** Longer keys (seed material, mostly) are drawn every time: remembering them holds memory. */
const REMEMBERED_KEY_LENGTH = 4_000;

/** Recent generated replies, frozen (every answer they go into shares them), by request. */
const rememberedReplies = new Map<string, Reply>();

/**
 * The reply to a request: a pure function of it. Either the text after `echo:` in the last
 * user message, or `[sim] ` followed by PRNG-drawn English-looking sentences of 20 to 120
 * tokens; then cut at `maxTokens` and at the first stop sequence.
 */
export function generateReply(request: ReplyRequest): Reply {
  const echoed = extractEcho(request.lastUserText);
  if (echoed !== null) return replyWithText(echoed, request);
  // Without an echo the reply depends on these alone (`lastUserText` only decided the echo).
  const key = JSON.stringify([request.seedMaterial, request.maxTokens, request.stopSequences]);
  const remembered = rememberedReplies.get(key);
  if (remembered !== undefined) return remembered;
  const reply = Object.freeze(generateSentenceReply(request));
  Object.freeze(reply.pieces);
  if (key.length <= REMEMBERED_KEY_LENGTH) {
    // Map keeps insertion order, so the first key is the oldest entry.
    if (rememberedReplies.size >= REMEMBERED_REPLIES) {
      const oldest = rememberedReplies.keys().next().value;
      if (oldest !== undefined) rememberedReplies.delete(oldest);
    }
    rememberedReplies.set(key, reply);
  }
  return reply;
}

function generateSentenceReply(request: ReplyRequest): Reply {
  const random = createSeededRandom(request.seedMaterial);
  const { pieces, finish } = generateSentences(random, request.maxTokens);
  const stopped = cutAtStopSequence(pieces, request.stopSequences);
  const finalPieces = stopped?.pieces ?? pieces;
  return {
    text: joinPieces(finalPieces),
    pieces: finalPieces,
    completionTokens: finalPieces.reduce((sum, piece) => sum + piece.tokens, 0),
    finish: stopped ? 'stop-sequence' : finish,
    stopSequence: stopped?.stopSequence ?? null,
  };
}

/**
 * PRNG-drawn sentences of 20 to 120 tokens, cut at `maxTokens`: a real model stops mid-word
 * when the budget runs out, so of the first piece that does not fit the tokens that fit are
 * kept, and nothing is drawn after it (it would all be cut).
 */
function generateSentences(
  random: RandomSource,
  maxTokens: number | null,
): { pieces: ReplyPiece[]; finish: ReplyFinish } {
  const vocabulary = getVocabulary();
  const targetTokens = randomInteger(random, SHORTEST_REPLY_TOKENS, LONGEST_REPLY_TOKENS);
  const pieces: ReplyPiece[] = [];
  /** Tokens drawn so far, the cut piece's whole count included. */
  let tokens = 0;
  let remaining = maxTokens ?? Number.POSITIVE_INFINITY;
  /** Adds `piece`, or the part of it that fits; false when it did not fit whole. */
  const add = (piece: TokenizedPiece): boolean => {
    tokens += piece.tokens.length;
    if (piece.tokens.length <= remaining) {
      pieces.push(piece.replyPiece);
      remaining -= piece.tokens.length;
      return true;
    }
    if (remaining > 0)
      pieces.push({ text: decodeTokens(piece.tokens.slice(0, remaining)), tokens: remaining });
    return false;
  };
  const cut = { pieces, finish: 'max-tokens' as const };
  if (!add(vocabulary.prefix)) return cut;
  let wordsInSentence = 0;
  let sentenceLength = randomInteger(random, 6, 14);
  for (;;) {
    const word = vocabulary.words[Math.floor(random() * vocabulary.words.length)]!;
    if (!add(wordsInSentence === 0 ? word.capitalized : word.lowercase)) return cut;
    wordsInSentence += 1;
    if (tokens + vocabulary.period.tokens.length >= targetTokens) {
      return add(vocabulary.period) ? { pieces, finish: 'complete' } : cut;
    }
    if (wordsInSentence >= sentenceLength) {
      if (!add(vocabulary.period)) return cut;
      wordsInSentence = 0;
      sentenceLength = randomInteger(random, 6, 14);
    } else if (wordsInSentence >= 3 && wordsInSentence < sentenceLength - 1 && random() < 0.08) {
      if (!add(vocabulary.comma)) return cut;
    }
  }
}

/**
 * A reply of exactly `text` (echoes, JSON outputs, tool-result summaries), cut at
 * `maxTokens` and at the first stop sequence like a generated one.
 */
export function replyWithText(
  echoed: string,
  request: Pick<ReplyRequest, 'maxTokens' | 'stopSequences'>,
): Reply {
  const echoedTokens = countTextTokens(echoed);
  const truncated = request.maxTokens !== null && echoedTokens > request.maxTokens;
  const text = truncated ? decodeTokens(encodeHead(echoed, request.maxTokens ?? 0)) : echoed;
  const pieces = splitIntoWords(text);
  const stopped = cutAtStopSequence(pieces, request.stopSequences);
  if (stopped) {
    const stoppedText = joinPieces(stopped.pieces);
    return {
      text: stoppedText,
      pieces: stopped.pieces,
      completionTokens: countTextTokens(stoppedText),
      finish: 'stop-sequence',
      stopSequence: stopped.stopSequence,
    };
  }
  return {
    text,
    pieces,
    completionTokens: truncated ? (request.maxTokens ?? 0) : echoedTokens,
    finish: truncated ? 'max-tokens' : 'complete',
    stopSequence: null,
  };
}

/**
 * Splits arbitrary text into words with their leading whitespace, also after `,` `:` `{` `[` so
 * compact JSON streams in pieces as a model's would; token counts are estimates.
 */
function splitIntoWords(text: string): ReplyPiece[] {
  return (text.match(/\s*(?:[^\s,:{[]+[,:{[]?|[,:{[])|\s+/g) ?? []).map((word) => ({
    text: word,
    tokens: countTextTokens(word),
  }));
}

function cutAtStopSequence(
  pieces: readonly ReplyPiece[],
  stopSequences: readonly string[],
): { pieces: ReplyPiece[]; stopSequence: string } | null {
  if (stopSequences.length === 0) return null;
  const text = joinPieces(pieces);
  let cutAt = -1;
  let matched = '';
  for (const stopSequence of stopSequences) {
    if (stopSequence.length === 0) continue;
    const at = text.indexOf(stopSequence);
    if (at >= 0 && (cutAt < 0 || at < cutAt)) {
      cutAt = at;
      matched = stopSequence;
    }
  }
  if (cutAt < 0) return null;
  const kept: ReplyPiece[] = [];
  let offset = 0;
  for (const piece of pieces) {
    if (offset + piece.text.length <= cutAt) {
      kept.push(piece);
      offset += piece.text.length;
      continue;
    }
    const partial = piece.text.slice(0, cutAt - offset);
    if (partial.length > 0) kept.push({ text: partial, tokens: countTextTokens(partial) });
    break;
  }
  return { pieces: kept, stopSequence: matched };
}

function joinPieces(pieces: readonly ReplyPiece[]): string {
  let text = '';
  for (const piece of pieces) text += piece.text;
  return text;
}
