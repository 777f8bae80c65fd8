import { providerBatchWillMissDeadline } from './provider-batch-deadline';

const hour = 3_600_000;
const base = {
  now: 1_000_000,
  submittedAt: 1_000_000,
  expectedTurnaroundMs: hour,
  standardLatencyMs: 1_000,
  pollIntervalMs: 60_000,
};

describe('providerBatchWillMissDeadline', () => {
  it('keeps a batch expected to end, be polled and fall back before its deadline', () => {
    expect(providerBatchWillMissDeadline({ ...base, completeBy: base.now + 24 * hour })).toBe(
      false,
    );
    const tight = base.now + hour + 60_000 + 1_000;
    expect(providerBatchWillMissDeadline({ ...base, completeBy: tight })).toBe(false);
    expect(providerBatchWillMissDeadline({ ...base, completeBy: tight - 1 })).toBe(true);
  });

  it('cancels a batch whose expected turnaround ends after its deadline', () => {
    expect(providerBatchWillMissDeadline({ ...base, completeBy: base.now + 30 * 60_000 })).toBe(
      true,
    );
  });

  it('cancels a late batch once the time left is no more than a poll and a standard call', () => {
    const completeBy = base.submittedAt + 3 * hour;
    const late = { ...base, completeBy };
    expect(providerBatchWillMissDeadline({ ...late, now: base.submittedAt + 2 * hour })).toBe(
      false,
    );
    expect(providerBatchWillMissDeadline({ ...late, now: completeBy - 61_000 })).toBe(false);
    expect(providerBatchWillMissDeadline({ ...late, now: completeBy - 60_500 })).toBe(true);
  });
});
