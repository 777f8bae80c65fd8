import { MicroBatcher, type MicroBatchOutcome } from './micro-batcher';

/** A `run` that records each call's items and answers each item with `f(item)`. */
function recordingRun<Item, Result>(answer: (item: Item) => MicroBatchOutcome<Result>) {
  const calls: Item[][] = [];
  const run = async (items: Item[]) => {
    calls.push(items);
    return items.map(answer);
  };
  return { calls, run };
}

const double = (item: number): MicroBatchOutcome<number> => ({ ok: true, value: item * 2 });

describe('MicroBatcher (fake clock)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends one call as soon as maxItems are waiting, without waiting for the timer', async () => {
    const { calls, run } = recordingRun(double);
    const batcher = new MicroBatcher({ maxItems: 4, maxWaitMs: 10_000, run });
    const results = Promise.all([1, 2, 3, 4].map((item) => batcher.add(item)));
    expect(calls).toEqual([[1, 2, 3, 4]]);
    await expect(results).resolves.toEqual([2, 4, 6, 8]);
    expect(batcher.pending).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sends a partial call maxWaitMs after its first item arrived', async () => {
    const { calls, run } = recordingRun(double);
    const batcher = new MicroBatcher({ maxItems: 16, maxWaitMs: 10, run });
    const first = batcher.add(1);
    jest.advanceTimersByTime(6);
    const second = batcher.add(2);
    jest.advanceTimersByTime(3);
    expect(calls).toEqual([]);
    expect(batcher.pending).toBe(2);
    jest.advanceTimersByTime(1);
    expect(calls).toEqual([[1, 2]]);
    await expect(Promise.all([first, second])).resolves.toEqual([2, 4]);
    // The next item starts a new window.
    const third = batcher.add(3);
    jest.advanceTimersByTime(10);
    expect(calls).toEqual([[1, 2], [3]]);
    await expect(third).resolves.toBe(6);
  });

  it('splits more than maxItems into full calls and a timed remainder', async () => {
    const { calls, run } = recordingRun(double);
    const batcher = new MicroBatcher({ maxItems: 3, maxWaitMs: 5, run });
    const results = Promise.all([1, 2, 3, 4, 5, 6, 7].map((item) => batcher.add(item)));
    expect(calls).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    jest.advanceTimersByTime(5);
    expect(calls.at(-1)).toEqual([7]);
    await expect(results).resolves.toEqual([2, 4, 6, 8, 10, 12, 14]);
  });

  it('maps a per-item error to that item only', async () => {
    const { run } = recordingRun<number, number>((item) =>
      item === 2 ? { ok: false, error: new Error('bad item 2') } : double(item),
    );
    const batcher = new MicroBatcher({ maxItems: 3, maxWaitMs: 5, run });
    const results = await Promise.allSettled([1, 2, 3].map((item) => batcher.add(item)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: new Error('bad item 2') },
      { status: 'fulfilled', value: 6 },
    ]);
  });

  it('fails every item of a call that throws, and keeps working afterwards', async () => {
    let fail = true;
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      maxItems: 2,
      maxWaitMs: 5,
      run: async (items) => {
        calls.push(items);
        if (fail) throw new Error('upstream 503');
        return items.map(double);
      },
    });
    const failed = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(failed.map((result) => (result as PromiseRejectedResult).reason.message)).toEqual([
      'upstream 503',
      'upstream 503',
    ]);
    fail = false;
    await expect(Promise.all([batcher.add(3), batcher.add(4)])).resolves.toEqual([6, 8]);
    expect(calls).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('fails every item when the call answers the wrong number of outcomes', async () => {
    const batcher = new MicroBatcher<number, number>({
      maxItems: 2,
      maxWaitMs: 5,
      run: async () => [{ ok: true, value: 1 }],
    });
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
  });

  it('with maxItems 1 sends every item alone, at once', () => {
    const { calls, run } = recordingRun(double);
    const batcher = new MicroBatcher({ maxItems: 1, maxWaitMs: 50, run });
    void batcher.add(1);
    void batcher.add(2);
    expect(calls).toEqual([[1], [2]]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('starts a new call before an item would overflow maxWeight', () => {
    const { calls, run } = recordingRun((item: number[]) => ({ ok: true, value: item.length }));
    const batcher = new MicroBatcher({
      maxItems: 10,
      maxWaitMs: 5,
      weightOf: (item: number[]) => item.length,
      maxWeight: 4,
      run,
    });
    void batcher.add([1, 1]);
    void batcher.add([2]);
    void batcher.add([3, 3]); // 2 + 1 + 2 > 4: the first two go now
    expect(calls).toEqual([[[1, 1], [2]]]);
    void batcher.add([4, 4]); // 2 + 2 = 4: full, goes at once
    expect(calls.at(-1)).toEqual([
      [3, 3],
      [4, 4],
    ]);
    void batcher.add([5, 5, 5, 5, 5]); // heavier than maxWeight alone: goes alone
    expect(calls.at(-1)).toEqual([[5, 5, 5, 5, 5]]);
  });

  it('drain sends what waits and waits for every call in flight', async () => {
    let release: () => void = () => undefined;
    const batcher = new MicroBatcher<number, number>({
      maxItems: 8,
      maxWaitMs: 60_000,
      run: async (items) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return items.map(double);
      },
    });
    const result = batcher.add(5);
    const drained = batcher.drain();
    expect(batcher.pending).toBe(0);
    expect(batcher.running).toBe(1);
    release();
    await drained;
    await expect(result).resolves.toBe(10);
    expect(batcher.running).toBe(0);
  });

  it('says when it is idle again, so its owner can drop it', async () => {
    const { run } = recordingRun(double);
    const onIdle = jest.fn();
    const batcher = new MicroBatcher({ maxItems: 2, maxWaitMs: 5, run, onIdle });
    const results = Promise.all([batcher.add(1), batcher.add(2), batcher.add(3)]);
    jest.advanceTimersByTime(5);
    await results;
    await Promise.resolve();
    // Two calls ([1, 2] and [3]); only the end of the last one leaves it idle.
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('refuses nonsense sizes', () => {
    const run = async () => [];
    expect(() => new MicroBatcher({ maxItems: 0, maxWaitMs: 1, run })).toThrow(RangeError);
    expect(() => new MicroBatcher({ maxItems: 2, maxWaitMs: -1, run })).toThrow(RangeError);
  });
});

describe('MicroBatcher (real timers)', () => {
  it('groups items added in the same moment into one call', async () => {
    const { calls, run } = recordingRun(double);
    const batcher = new MicroBatcher({ maxItems: 16, maxWaitMs: 5, run });
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => batcher.add(index)));
    expect(results).toEqual(Array.from({ length: 10 }, (_, index) => index * 2));
    expect(calls).toHaveLength(1);
  });
});
