import { countTextTokens as countUncached } from '@llmq/tokenizer';

/*
 * o200k counting for the simulator, in time linear in the text whatever the text (a real
 * provider never stalls on a run of 200,000 `y`s): the bounded counter of @llmq/tokenizer,
 * a leaf package shared with llmq's core, plus a cache of recent counts.
 */

export { decodeTokens, encodeHead, encodeText } from '@llmq/tokenizer';

/** How many counts the cache keeps; prompts repeat a lot in benchmarks and tests. */
const CACHE_CAPACITY = 20_000;
/** Longer strings are counted every time: caching them would hold too much memory. */
const CACHEABLE_LENGTH = 20_000;

const cachedCounts = new Map<string, number>();

/** How many o200k tokens `text` has (linear time); remembered for the most recent texts. */
export function countTextTokens(text: string): number {
  if (text.length === 0) return 0;
  const cached = cachedCounts.get(text);
  if (cached !== undefined) return cached;
  const count = countUncached(text);
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
