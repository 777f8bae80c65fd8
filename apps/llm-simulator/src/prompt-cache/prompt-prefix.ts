import { createHash, type Hash } from 'node:crypto';

/** A point of a prompt where a cached prefix may end. */
export interface CacheBreakpoint {
  /** Input tokens of the prompt up to this point. */
  tokens: number;
  /** Digest of the model and every block up to this point. */
  key: string;
}

/**
 * Walks a prompt in the order the provider caches it (tools, system, messages), hashing each
 * block incrementally so marking a breakpoint costs one hash copy, not a rehash of the prefix.
 */
export class PromptPrefix {
  readonly breakpoints: CacheBreakpoint[] = [];
  readonly #hash: Hash;
  #tokens = 0;

  /** @param scope what must match besides the blocks: the model, a `prompt_cache_key`. */
  constructor(scope: string) {
    this.#hash = createHash('sha256').update(scope);
  }

  /** Adds one block (its `cache_control` does not change the key) and its input tokens. */
  add(block: unknown, tokens: number): void {
    const content =
      typeof block === 'object' && block !== null && 'cache_control' in block
        ? { ...block, cache_control: undefined }
        : block;
    this.#hash.update(JSON.stringify(content) ?? 'null');
    this.#tokens += tokens;
  }

  /** Marks a breakpoint after the blocks added so far. */
  markBreakpoint(): void {
    this.breakpoints.push({ tokens: this.#tokens, key: this.#hash.copy().digest('base64') });
  }

  get tokens(): number {
    return this.#tokens;
  }
}
