import { countTokens, decode, encode } from 'gpt-tokenizer';

/**
 * Special-token strings such as `<|endoftext|>` in user text are counted as plain text, as the
 * real APIs do, instead of making the tokenizer throw.
 */
const SPECIAL_TOKENS_AS_TEXT = { disallowedSpecial: new Set<string>() };

/** How many counts the cache keeps; prompts repeat a lot in benchmarks and tests. */
const CACHE_CAPACITY = 20_000;
/** Longer strings are counted every time: caching them would hold too much memory. */
const CACHEABLE_LENGTH = 20_000;

const cachedCounts = new Map<string, number>();

/** The o200k token ids of `text`. */
export function encodeText(text: string): number[] {
  return encode(text, SPECIAL_TOKENS_AS_TEXT);
}

/** The text of o200k token ids. */
export function decodeTokens(tokens: readonly number[]): string {
  return decode(tokens);
}

/** How many o200k tokens `text` has; remembered for the most recent texts. */
export function countTextTokens(text: string): number {
  if (text.length === 0) return 0;
  const cached = cachedCounts.get(text);
  if (cached !== undefined) return cached;
  const count = countTokens(text, SPECIAL_TOKENS_AS_TEXT);
  if (text.length <= CACHEABLE_LENGTH) {
    // Map keeps insertion order, so the first key is the oldest entry.
    if (cachedCounts.size >= CACHE_CAPACITY) {
      const oldest = cachedCounts.keys().next().value;
      if (oldest !== undefined) cachedCounts.delete(oldest);
    }
    cachedCounts.set(text, count);
  }
  return count;
}
