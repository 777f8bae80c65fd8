import type { SimulatorClock } from '../server/simulator-clock';
import type { CacheBreakpoint, PromptPrefix } from './prompt-prefix';

/** Shortest prefix either provider caches, in tokens (Anthropic's and OpenAI's minimum). */
export const MINIMUM_CACHED_TOKENS = 1024;
/** Prefixes remembered at most; the oldest is forgotten first. */
const CAPACITY = 10_000;

/** Anthropic's default cache lifetime and OpenAI's in-memory retention: 5 minutes. */
export const FIVE_MINUTES_MS = 5 * 60_000;
/** Anthropic's `ttl: "1h"`. */
export const ONE_HOUR_MS = 60 * 60_000;
/** OpenAI's `prompt_cache_retention: "24h"`. */
export const ONE_DAY_MS = 24 * 60 * 60_000;

/** How much of a prompt the cache served and how much it wrote. */
export interface CacheUse {
  readTokens: number;
  writeTokens: number;
  /** Of `writeTokens`, those written at breakpoints living an hour or more (Anthropic `1h`). */
  writeTokensOneHour: number;
  /** Stores the request's breakpoints and refreshes the one read; call once it is answered. */
  commit(): void;
}

interface CacheEntry {
  tokens: number;
  expiresAt: number;
}

/**
 * The simulator's deterministic prompt cache: a prefix is cached once a request carrying it is
 * answered, and read by every later request with the same prefix until its time to live has
 * passed on the simulator's clock. Each use refreshes the entry, as both providers do. Reset
 * by `POST /_sim/reset`. Prefixes under `MINIMUM_CACHED_TOKENS` are never cached.
 */
export class PromptCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #clock: SimulatorClock;

  constructor(clock: SimulatorClock) {
    this.#clock = clock;
  }

  /**
   * Looks the breakpoints up, last first: the longest live one is read, and the prompt up to
   * the last breakpoint beyond it is written.
   */
  use(prefix: PromptPrefix): CacheUse {
    const cacheable = prefix.breakpoints(MINIMUM_CACHED_TOKENS);
    const now = this.#clock();
    let readIndex = -1;
    for (let index = cacheable.length - 1; index >= 0; index -= 1) {
      const entry = this.#entries.get(cacheable[index]!.key);
      if (entry !== undefined && entry.expiresAt > now) {
        readIndex = index;
        break;
      }
    }
    const readTokens = readIndex < 0 ? 0 : cacheable[readIndex]!.tokens;
    let writeTokens = 0;
    let writeTokensOneHour = 0;
    let writtenUpTo = readTokens;
    for (const point of cacheable.slice(readIndex + 1)) {
      const segment = Math.max(0, point.tokens - writtenUpTo);
      writeTokens += segment;
      if (point.ttlMs >= ONE_HOUR_MS) writeTokensOneHour += segment;
      writtenUpTo = Math.max(writtenUpTo, point.tokens);
    }
    return {
      readTokens,
      writeTokens,
      writeTokensOneHour,
      commit: () => {
        const answeredAt = this.#clock();
        for (const point of cacheable) this.#remember(point, answeredAt);
      },
    };
  }

  #remember(point: CacheBreakpoint, now: number): void {
    const previous = this.#entries.get(point.key);
    const live = previous !== undefined && previous.expiresAt > now;
    // A refresh never shortens a longer-lived entry of the same prefix.
    const expiresAt = Math.max(now + point.ttlMs, live ? previous.expiresAt : 0);
    this.#entries.delete(point.key);
    this.#entries.set(point.key, { tokens: point.tokens, expiresAt });
    if (this.#entries.size > CAPACITY) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
