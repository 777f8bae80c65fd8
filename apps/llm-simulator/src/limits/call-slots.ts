/** Gives back a slot taken with {@link CallSlots.acquire}. */
export type ReleaseSlot = () => void;

interface ModelSlots {
  active: number;
  waiting: Array<(release: ReleaseSlot) => void>;
}

/**
 * How many calls each model serves at once (`maxConcurrentCalls`), like a local inference
 * server with a fixed number of slots (llama.cpp `--parallel`, Ollama `OLLAMA_NUM_PARALLEL`):
 * further calls wait in line, first come first served, instead of being refused. A slot is
 * held for the whole answer, its per-call overhead and latency included.
 */
export class CallSlots {
  readonly #models = new Map<string, ModelSlots>();

  /**
   * Waits for a slot of `model`; resolves at once when `limit` is absent or 0 (no limit).
   * Resolves `undefined` if `signal` aborts while waiting (the client left).
   */
  acquire(
    model: string,
    limit: number | undefined,
    signal: AbortSignal,
  ): Promise<ReleaseSlot | undefined> {
    if (!limit) return Promise.resolve(() => undefined);
    if (signal.aborted) return Promise.resolve(undefined);
    let slots = this.#models.get(model);
    if (slots === undefined) {
      slots = { active: 0, waiting: [] };
      this.#models.set(model, slots);
    }
    const state = slots;
    const release = this.#releaser(model, state);
    if (state.active < limit) {
      state.active += 1;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => {
      const grant = (granted: ReleaseSlot) => {
        signal.removeEventListener('abort', onAbort);
        resolve(granted);
      };
      const onAbort = () => {
        const index = state.waiting.indexOf(grant);
        if (index >= 0) state.waiting.splice(index, 1);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      state.waiting.push(grant);
    });
  }

  #releaser(model: string, state: ModelSlots): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = state.waiting.shift();
      // The slot passes straight to the next caller in line: `active` stays the same.
      if (next) next(this.#releaser(model, state));
      else {
        state.active -= 1;
        if (state.active === 0) this.#models.delete(model);
      }
    };
  }
}
