const dayMs = 86_400_000;

/**
 * The last day `utcDay` formatted, with the instants it covers: every job's ledger write asks
 * for the day of "now", and formatting a `Date` each time was ~0.4% of a worker's CPU.
 */
let lastDay = { start: 0, end: 0, day: '' };

/** The UTC day of an instant, `YYYY-MM-DD`: the ledger's and the daily budget's period. */
export function utcDay(epochMs: number): string {
  if (epochMs >= lastDay.start && epochMs < lastDay.end) return lastDay.day;
  const day = new Date(epochMs).toISOString().slice(0, 10);
  const start = epochMs - (((epochMs % dayMs) + dayMs) % dayMs);
  lastDay = { start, end: start + dayMs, day };
  return day;
}

/** The UTC month of an instant, `YYYY-MM`: the monthly budget's period. */
export function utcMonth(epochMs: number): string {
  return utcDay(epochMs).slice(0, 7);
}

/** Every UTC day from `startDay` to `endDay` inclusive (both `YYYY-MM-DD`). */
export function daysBetween(startDay: string, endDay: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${endDay}T00:00:00Z`);
  for (let at = Date.parse(`${startDay}T00:00:00Z`); at <= end; at += dayMs) {
    days.push(utcDay(at));
  }
  return days;
}
