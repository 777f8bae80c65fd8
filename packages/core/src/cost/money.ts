/**
 * Money in the ledger and in budgets is an integer count of nano-dollars (1e-9 USD), so sums
 * over millions of jobs are exact (Redis `HINCRBY`/`INCRBY` add 64-bit integers) and a
 * report never drifts by a float's rounding. 2^63 nano-dollars is about 9.2 billion dollars;
 * a job's cost stays far below 2^53, so it also crosses JSON and Lua without loss.
 */
export type NanoUsd = number;

const nanosPerDollar = 1_000_000_000;

/** USD (as on a job's `cost_usd`, rounded to 1e-8) to whole nano-dollars. */
export function toNanoUsd(dollars: number): NanoUsd {
  return Math.round(dollars * nanosPerDollar);
}

/** Nano-dollars back to USD for display; exact for every amount below 2^53 nano-dollars. */
export function fromNanoUsd(nanos: NanoUsd): number {
  return nanos / nanosPerDollar;
}
