import type * as GptTokenizer from 'gpt-tokenizer';

/**
 * gpt-tokenizer's o200k tables take ~70 MB once loaded, so they load on the first count, not
 * at import: a worker or API whose jobs need no count (no limit, budget or `auto` routing on
 * them) never pays for them.
 */
let loaded: typeof GptTokenizer | undefined;
function tokenizer(): typeof GptTokenizer {
  loaded ??= require('gpt-tokenizer') as typeof GptTokenizer;
  return loaded;
}

/**
 * o200k token counting in time linear in the text, whatever the text.
 *
 * gpt-tokenizer's byte-pair merge is quadratic in the length of one pre-token, so a run of
 * 200,000 `y`s held the event loop for ~30 s. Two bounds make every count linear:
 * 1. Runs of spaces or non-spaces are cut every {@link PIECE_LENGTH} characters and the text is
 *    encoded in chunks of about {@link CHUNK_LENGTH} characters cut just before whitespace, so
 *    no pre-token is longer than ~2×32 characters. Text whose runs are shorter than 32 (prose,
 *    code with spaces) counts exactly as one whole-text count; a longer run (base64, a URL, a
 *    separator line) may count one token more per 32 characters (+0.3–1.1% on random base64).
 * 2. One count call spends at most {@link EXACT_WORK_BUDGET} units of exact work (one per
 *    ASCII character, four per other character, which costs about that much more to encode);
 *    the rest of the text is estimated in one linear pass (see {@link estimateTokens}).
 * Provider-reported usage stays the truth for cost; these counts feed routing, limits,
 * budgets and the pre-flight estimate.
 */

/** Longest run of spaces or non-spaces handed to the BPE in one piece. */
export const PIECE_LENGTH = 32;
/** Characters encoded per tokenizer call. */
const CHUNK_LENGTH = 4096;
/**
 * Exact-work units one count call may spend before it estimates the rest: about 5 ms of
 * random base64 on an idle core (the slowest ASCII to encode), 16,384 characters of prose.
 */
export const EXACT_WORK_BUDGET = 16_384;
/** What a non-ASCII character costs relative to an ASCII one (measured on random CJK). */
const NON_ASCII_WORK = 4;

/** Special-token strings such as `<|endoftext|>` in user text count as plain text. */
const SPECIAL_TOKENS_AS_TEXT = { disallowedSpecial: new Set<string>() };

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x3000;
}

/**
 * Calls `visit` with consecutive chunks of `text` (their concatenation is `text`), each at
 * most {@link CHUNK_LENGTH} characters, no run inside longer than {@link PIECE_LENGTH}.
 * `visit` returns false to refuse a chunk and stop; the return value is where that refused
 * chunk starts (the text's length when every chunk was taken).
 */
function forEachChunk(text: string, visit: (chunk: string) => boolean): number {
  let chunkStart = 0;
  let runStart = 0;
  let runIsSpace = text.length > 0 && isSpace(text.charCodeAt(0));
  for (let index = 1; index <= text.length; index += 1) {
    const atEnd = index === text.length;
    const space = !atEnd && isSpace(text.charCodeAt(index));
    const classChanged = !atEnd && space !== runIsSpace;
    const runFull = index - runStart >= PIECE_LENGTH;
    // Cut before whitespace (it belongs to the next word's pre-token), or inside a full run.
    const cut =
      atEnd ||
      (runFull && !classChanged) ||
      (classChanged && space && index - chunkStart >= CHUNK_LENGTH);
    if (cut) {
      if (!visit(text.slice(chunkStart, index))) return chunkStart;
      chunkStart = index;
    }
    if (classChanged || runFull) {
      runStart = index;
      runIsSpace = space;
    }
  }
  return text.length;
}

function exactWork(text: string): number {
  let work = 0;
  for (let index = 0; index < text.length; index += 1)
    work += text.charCodeAt(index) < 128 ? 1 : NON_ASCII_WORK;
  return work;
}

/**
 * A linear estimate of o200k tokens, one pass over the characters, tuned to err high:
 * a letter run of n counts ⌈n/4⌉ (English words are mostly one token), a digit run ⌈n/3⌉
 * (o200k groups digits by three), other ASCII one per two characters, whitespace nothing
 * (it joins the next word), a non-ASCII character one. Measured against o200k: English prose
 * ×1.0–1.3, code ×1.0–1.4, random base64 ×0.6–0.7, CJK ×0.5–1.0.
 */
export function estimateTokens(text: string): number {
  // One run of one class at a time (letters, digits or other ASCII), counted when it ends:
  // plain locals and no closure, so the loop stays a tight one over a megabyte of text.
  let tokens = 0;
  let run = 0;
  let divisor = 0; // of the current run: 4 letters, 3 digits, 2 other ASCII, 0 none
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    let next: number;
    if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) next = 4;
    else if (code >= 48 && code <= 57) next = 3;
    else if (isSpace(code)) next = 0;
    else if (code < 128) next = 2;
    else {
      // A run ends; a surrogate pair is one character and one token.
      if (run > 0) tokens += Math.ceil(run / divisor);
      run = 0;
      divisor = 0;
      if (code < 0xdc00 || code > 0xdfff) tokens += 1;
      continue;
    }
    if (next !== divisor) {
      if (run > 0) tokens += Math.ceil(run / divisor);
      run = 0;
      divisor = next;
    }
    if (next !== 0) run += 1;
  }
  if (run > 0) tokens += Math.ceil(run / divisor);
  return tokens;
}

/**
 * Counts several texts against one exact-work budget: one instance per count call (a
 * conversation, a batch line's inputs), so a request of many texts is bounded as a whole.
 */
export class TokenTally {
  private remainingWork = EXACT_WORK_BUDGET;
  private exactTokens = 0;
  private exactCharacters = 0;

  /** Tokens of `text`: exact o200k while the budget lasts, estimated after. */
  count(text: string): number {
    if (text.length === 0) return 0;
    let tokens = 0;
    const stoppedAt = forEachChunk(text, (chunk) => {
      const work = exactWork(chunk);
      if (work > this.remainingWork) return false;
      this.remainingWork -= work;
      const chunkTokens = tokenizer().countTokens(chunk, SPECIAL_TOKENS_AS_TEXT);
      this.exactTokens += chunkTokens;
      this.exactCharacters += chunk.length;
      tokens += chunkTokens;
      return true;
    });
    if (stoppedAt < text.length) {
      // Exactness ran out: the rest at the rate seen so far or the class estimate, the higher.
      this.remainingWork = 0;
      const rest = text.slice(stoppedAt);
      const seenRate = this.exactCharacters > 0 ? this.exactTokens / this.exactCharacters : 0;
      tokens += Math.max(estimateTokens(rest), Math.ceil(rest.length * seenRate));
    }
    return tokens;
  }
}

/** o200k tokens of one text, in linear time (see the module comment). */
export function countTextTokens(text: string): number {
  return new TokenTally().count(text);
}

/** The o200k token ids of `text`, encoded in bounded chunks (linear in the text, no budget). */
export function encodeText(text: string): number[] {
  const tokens: number[] = [];
  forEachChunk(text, (chunk) => {
    for (const token of tokenizer().encode(chunk, SPECIAL_TOKENS_AS_TEXT)) tokens.push(token);
    return true;
  });
  return tokens;
}

/** The first `limit` o200k token ids of `text`, encoding no more chunks than needed. */
export function encodeHead(text: string, limit: number): number[] {
  const tokens: number[] = [];
  forEachChunk(text, (chunk) => {
    for (const token of tokenizer().encode(chunk, SPECIAL_TOKENS_AS_TEXT)) {
      if (tokens.length >= limit) return false;
      tokens.push(token);
    }
    return tokens.length < limit;
  });
  return tokens;
}

/** The text of o200k token ids. */
export function decodeTokens(tokens: readonly number[]): string {
  return tokenizer().decode(tokens);
}

/**
 * The first `limit` tokens of `text` (a token boundary, never a split character sequence),
 * encoded chunk by chunk until the limit, so the work is linear in what is kept. Past the
 * exact-work budget the cut is made by characters at the rate seen so far (approximate).
 */
export function headTokens(text: string, limit: number): string {
  if (limit <= 0) return '';
  const kept: number[] = [];
  let remainingWork = EXACT_WORK_BUDGET;
  let keptCharacters = 0;
  const stoppedAt = forEachChunk(text, (chunk) => {
    const work = exactWork(chunk);
    if (work > remainingWork) return false;
    remainingWork -= work;
    const tokens = tokenizer().encode(chunk, SPECIAL_TOKENS_AS_TEXT);
    const room = limit - kept.length;
    if (tokens.length > room) {
      kept.push(...tokens.slice(0, room));
      keptCharacters = -1;
      return false;
    }
    kept.push(...tokens);
    keptCharacters += chunk.length;
    return kept.length < limit;
  });
  const head = tokenizer().decode(kept);
  if (keptCharacters < 0 || stoppedAt >= text.length || kept.length >= limit) return head;
  const charactersPerToken = kept.length > 0 ? keptCharacters / kept.length : 1;
  let end = stoppedAt + Math.floor((limit - kept.length) * charactersPerToken);
  // Never end between the two halves of a surrogate pair.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return head + text.slice(stoppedAt, end);
}
