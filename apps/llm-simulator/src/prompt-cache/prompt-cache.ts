import type { CacheBreakpoint, PromptPrefix } from './prompt-prefix';

/** Shortest prefix either provider caches, in tokens (Anthropic's and OpenAI's minimum). */
export const MINIMUM_CACHED_TOKENS = 1024;
/** Prefixes remembered at most; the oldest is forgotten first. */
const CAPACITY = 10_000;

/** How much of a prompt the cache served and how much it wrote. */
export interface CacheUse {
  readTokens: number;
  writeTokens: number;
  /** Stores the request's breakpoints; call once the request is answered. */
  commit(): void;
}

/**
 * The simulator's deterministic prompt cache: a prefix is cached once a request carrying it is
 * answered, and read by every later request with the same prefix (no expiry, reset by
 * `POST /_sim/reset`). Prefixes under `MINIMUM_CACHED_TOKENS` are never cached.
 */
export class PromptCache {
  readonly #prefixes = new Map<string, number>();

  /**
   * Looks the breakpoints up, last first: the longest stored one is read, and the prompt up to
   * the last breakpoint beyond it is written.
   */
  use(prefix: PromptPrefix): CacheUse {
    const cacheable = prefix.breakpoints(MINIMUM_CACHED_TOKENS);
    let readTokens = 0;
    for (let index = cacheable.length - 1; index >= 0; index -= 1) {
      const point = cacheable[index]!;
      if (this.#prefixes.has(point.key)) {
        readTokens = point.tokens;
        break;
      }
    }
    const last = cacheable.at(-1);
    return {
      readTokens,
      writeTokens: last === undefined ? 0 : Math.max(0, last.tokens - readTokens),
      commit: () => {
        for (const point of cacheable) this.#remember(point);
      },
    };
  }

  #remember(point: CacheBreakpoint): void {
    this.#prefixes.delete(point.key);
    this.#prefixes.set(point.key, point.tokens);
    if (this.#prefixes.size > CAPACITY) {
      const oldest = this.#prefixes.keys().next().value;
      if (oldest !== undefined) this.#prefixes.delete(oldest);
    }
  }

  clear(): void {
    this.#prefixes.clear();
  }
}
