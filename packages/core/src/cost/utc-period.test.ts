import { daysBetween, utcDay, utcMonth } from './utc-period';

describe('utc periods', () => {
  it('names the UTC day and month of an instant, on both sides of midnight', () => {
    const midnight = Date.parse('2026-12-31T00:00:00Z');
    expect(utcDay(midnight - 1)).toBe('2026-12-30');
    expect(utcDay(midnight)).toBe('2026-12-31');
    expect(utcDay(midnight + 86_400_000 - 1)).toBe('2026-12-31');
    expect(utcDay(midnight + 86_400_000)).toBe('2027-01-01');
    expect(utcMonth(midnight + 86_400_000 - 1)).toBe('2026-12');
    expect(utcMonth(midnight + 86_400_000)).toBe('2027-01');
  });

  it('answers instants out of order as it answers them in order', () => {
    // The last day asked is remembered: asking an earlier or later instant must not reuse it.
    const instants = [
      '2026-03-01T23:59:59.999Z',
      '2026-02-28T12:00:00Z',
      '2026-03-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '1970-01-01T00:00:00Z',
      '2026-03-02T00:00:00.001Z',
      '2026-03-01T10:00:00Z',
    ].map((text) => Date.parse(text));
    for (const at of instants) {
      expect(utcDay(at)).toBe(new Date(at).toISOString().slice(0, 10));
      expect(utcMonth(at)).toBe(new Date(at).toISOString().slice(0, 7));
    }
  });

  it('lists every day of a range', () => {
    expect(daysBetween('2026-02-27', '2026-03-01')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
    ]);
  });
});
