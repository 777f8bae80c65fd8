import { encodeText } from './count-tokens';
import { ENGLISH_WORDS } from './english-words';

/** A piece of reply text with the o200k tokens it is made of. */
export interface TokenizedPiece {
  text: string;
  tokens: readonly number[];
  /** The piece as a reply holds it (a `ReplyPiece`), made once for every reply that uses it whole. */
  replyPiece: { readonly text: string; readonly tokens: number };
}

/** One word as it can appear in a reply: after a space, lowercase or sentence-initial. */
export interface VocabularyWord {
  lowercase: TokenizedPiece;
  capitalized: TokenizedPiece;
}

/** The pieces replies are made of, tokenized once. */
export interface Vocabulary {
  words: readonly VocabularyWord[];
  prefix: TokenizedPiece;
  period: TokenizedPiece;
  comma: TokenizedPiece;
}

/** Every generated reply starts with this, so it is never mistaken for a real model's text. */
export const REPLY_PREFIX = '[sim]';

let vocabulary: Vocabulary | undefined;

function tokenize(text: string): TokenizedPiece {
  const tokens = encodeText(text);
  return { text, tokens, replyPiece: Object.freeze({ text, tokens: tokens.length }) };
}

/**
 * Tokenized once, on first use. Replies are built only from these pieces, and the o200k
 * pre-tokenizer never merges across them (a word after a space, `.` or `,` before a space),
 * so a reply's token count is the sum of its pieces' counts and costs no tokenizer call.
 */
export function getVocabulary(): Vocabulary {
  if (vocabulary === undefined) {
    vocabulary = {
      words: ENGLISH_WORDS.map((word) => ({
        lowercase: tokenize(` ${word}`),
        capitalized: tokenize(` ${word.charAt(0).toUpperCase()}${word.slice(1)}`),
      })),
      prefix: tokenize(REPLY_PREFIX),
      period: tokenize('.'),
      comma: tokenize(','),
    };
  }
  return vocabulary;
}
