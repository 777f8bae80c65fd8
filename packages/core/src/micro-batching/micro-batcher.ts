/**
 * Collects items that arrive one by one (jobs in one worker process) and hands them to one
 * call together: when `maxItems` are waiting, or `maxWaitMs` after the first of them arrived,
 * whichever comes first. Each caller gets back its own item's result or error.
 */

/** What one call says about one item: its result, or an error for that item alone. */
export type MicroBatchOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

export interface MicroBatcherOptions<Item, Result> {
  /** Most items in one call (≥ 1; 1 sends every item on its own, at once). */
  maxItems: number;
  /** Longest the first waiting item waits for company before its call goes out, ms (≥ 0). */
  maxWaitMs: number;
  /**
   * Optional size of an item (e.g. the inputs of one embeddings request) and the most one call
   * may carry: an item that would overflow the call starts the next one. An item heavier than
   * `maxWeight` on its own still goes, alone.
   */
  weightOf?: (item: Item) => number;
  maxWeight?: number;
  /**
   * Sends one call for `items` and returns one outcome per item, in the same order. A throw
   * (or an answer of the wrong length) fails every item of the call with that error.
   */
  run: (items: Item[]) => Promise<Array<MicroBatchOutcome<Result>>>;
  /** Called when a call ends and nothing waits or runs any more (an owner may drop the batcher). */
  onIdle?: () => void;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (value: Result) => void;
  reject: (error: unknown) => void;
}

/** Generic over what is batched; one instance per target (model and call parameters). */
export class MicroBatcher<Item, Result> {
  private waiting: Array<Waiting<Item, Result>> = [];
  private waitingWeight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly options: MicroBatcherOptions<Item, Result>;

  constructor(options: MicroBatcherOptions<Item, Result>) {
    if (!Number.isInteger(options.maxItems) || options.maxItems < 1)
      throw new RangeError('maxItems must be an integer ≥ 1');
    if (!(options.maxWaitMs >= 0)) throw new RangeError('maxWaitMs must be ≥ 0');
    this.options = options;
  }

  /** Items waiting for their call to go out. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Calls sent whose answer has not arrived yet. */
  get running(): number {
    return this.inflight.size;
  }

  /** Queues `item` for the next call; resolves with its result or rejects with its error. */
  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const weight = this.options.weightOf?.(item) ?? 1;
      const { maxWeight } = this.options;
      if (
        maxWeight !== undefined &&
        this.waiting.length > 0 &&
        this.waitingWeight + weight > maxWeight
      )
        this.flush();
      this.waiting.push({ item, resolve, reject });
      this.waitingWeight += weight;
      if (
        this.waiting.length >= this.options.maxItems ||
        (maxWeight !== undefined && this.waitingWeight >= maxWeight)
      ) {
        this.flush();
      } else if (this.timer === undefined) {
        this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
      }
    });
  }

  /** Sends the waiting items now (nothing happens when none wait). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.waitingWeight = 0;
    const call = this.send(batch).finally(() => {
      this.inflight.delete(call);
      if (this.waiting.length === 0 && this.inflight.size === 0) this.options.onIdle?.();
    });
    this.inflight.add(call);
  }

  /** Sends what waits and resolves once every call sent so far has answered. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async send(batch: Array<Waiting<Item, Result>>): Promise<void> {
    let outcomes: Array<MicroBatchOutcome<Result>>;
    try {
      outcomes = await this.options.run(batch.map((waiting) => waiting.item));
      if (outcomes.length !== batch.length)
        throw new Error(
          `a batched call answered ${outcomes.length} outcomes for ${batch.length} items`,
        );
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, index) => {
      const outcome = outcomes[index] as MicroBatchOutcome<Result>;
      if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    });
  }
}
