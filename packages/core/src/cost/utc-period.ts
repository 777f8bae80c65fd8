/** The UTC day of an instant, `YYYY-MM-DD`: the ledger's and the daily budget's period. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** The UTC month of an instant, `YYYY-MM`: the monthly budget's period. */
export function utcMonth(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

/** Every UTC day from `startDay` to `endDay` inclusive (both `YYYY-MM-DD`). */
export function daysBetween(startDay: string, endDay: string): string[] {
  const days: string[] = [];
  const end = Date.parse(`${endDay}T00:00:00Z`);
  for (let at = Date.parse(`${startDay}T00:00:00Z`); at <= end; at += 86_400_000) {
    days.push(utcDay(at));
  }
  return days;
}
