import { createHash } from 'node:crypto';

/** A point of a prompt where a cached prefix may end. */
export interface CacheBreakpoint {
  /** Input tokens of the prompt up to this point. */
  tokens: number;
  /** Digest of the scope and every block up to this point. */
  key: string;
  /** How long an entry written (or read) at this point lives, in milliseconds. */
  ttlMs: number;
}

/**
 * A prompt in the order the provider caches it (tools, system, messages), block by block, with
 * the points where a cached prefix may end. Hashing waits until the breakpoints are asked for,
 * and skips the prefixes too short to cache, so short prompts cost no hashing at all.
 */
export class PromptPrefix {
  readonly #scope: string;
  readonly #blocks: unknown[] = [];
  /** Token total after each block. */
  readonly #tokensAfter: number[] = [];
  /** Number of blocks before each breakpoint, and that breakpoint's time to live. */
  readonly #marks: Array<{ blocks: number; ttlMs: number }> = [];
  readonly #defaultTtlMs: number;
  #tokens = 0;

  /**
   * @param scope what must match besides the blocks: the model, a `prompt_cache_key`.
   * @param defaultTtlMs the time to live of a breakpoint marked without one.
   */
  constructor(scope: string, defaultTtlMs: number) {
    this.#scope = scope;
    this.#defaultTtlMs = defaultTtlMs;
  }

  /** Adds one block (its `cache_control` does not change the key) and its input tokens. */
  add(block: unknown, tokens: number): void {
    this.#blocks.push(block);
    this.#tokens += tokens;
    this.#tokensAfter.push(this.#tokens);
  }

  /** Marks a breakpoint after the blocks added so far, living `ttlMs` once cached. */
  markBreakpoint(ttlMs: number = this.#defaultTtlMs): void {
    this.#marks.push({ blocks: this.#blocks.length, ttlMs });
  }

  /** The time to live of each breakpoint, in prompt order. */
  get breakpointTtls(): number[] {
    return this.#marks.map((mark) => mark.ttlMs);
  }

  get tokens(): number {
    return this.#tokens;
  }

  /**
   * The breakpoints whose prefix has at least `minimumTokens`, each hashed once with one
   * incremental pass over the blocks.
   */
  breakpoints(minimumTokens: number): CacheBreakpoint[] {
    const tokensAt = (mark: number) => (mark === 0 ? 0 : this.#tokensAfter[mark - 1]!);
    const marks = this.#marks.filter((mark) => tokensAt(mark.blocks) >= minimumTokens);
    if (marks.length === 0) return [];
    const hash = createHash('sha256').update(this.#scope);
    const points: CacheBreakpoint[] = [];
    let hashed = 0;
    for (const { blocks, ttlMs } of marks) {
      for (; hashed < blocks; hashed += 1) hash.update(canonicalBlock(this.#blocks[hashed]));
      points.push({ tokens: tokensAt(blocks), key: hash.copy().digest('base64'), ttlMs });
    }
    return points;
  }
}

function canonicalBlock(block: unknown): string {
  const content =
    typeof block === 'object' && block !== null && 'cache_control' in block
      ? { ...block, cache_control: undefined }
      : block;
  return JSON.stringify(content) ?? 'null';
}
