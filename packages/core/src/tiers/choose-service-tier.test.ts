import { chooseServiceTier, type TierChoiceInput } from './choose-service-tier';

const entry: TierChoiceInput['entry'] = {
  pricing: { input: 1, output: 4, cached_input: 0.5 },
  expected_latency_ms: 1_000,
  service_tiers: {
    flex: { pricing: { input: 0.5, output: 2, cached_input: 0.25 }, expected_latency_ms: 10_000 },
    batch: {
      pricing: { input: 0.5, output: 1.5, cached_input: 0.25 },
      expected_turnaround_ms: 3_600_000,
      max_lines: 50_000,
    },
  },
};
const base: TierChoiceInput = {
  entry,
  usage: { inputTokens: 1_000_000, outputTokens: 1_000_000 },
  runnable: ['standard', 'flex', 'batch'],
};

describe('chooseServiceTier', () => {
  it('runs standard without a deadline, whatever is cheaper', () => {
    const choice = chooseServiceTier(base);
    expect(choice).toMatchObject({ ok: true, tier: 'standard' });
    expect(choice.options.map((option) => [option.tier, option.cost_usd])).toEqual([
      ['standard', 5],
      ['flex', 2.5],
      ['batch', 2],
    ]);
  });

  it('takes the cheapest tier that meets the deadline', () => {
    expect(chooseServiceTier({ ...base, timeLeftMs: 24 * 3_600_000 })).toMatchObject({
      tier: 'batch',
    });
    expect(chooseServiceTier({ ...base, timeLeftMs: 60_000 })).toMatchObject({ tier: 'flex' });
  });

  it('runs standard when the deadline leaves no room to fall back from a cheaper tier', () => {
    // Flex takes 10 s and a fallback 1 s more: 10.5 s is too short, 2 s far too short.
    expect(chooseServiceTier({ ...base, timeLeftMs: 10_500 })).toMatchObject({ tier: 'standard' });
    expect(chooseServiceTier({ ...base, timeLeftMs: 2_000 })).toMatchObject({ tier: 'standard' });
    expect(chooseServiceTier({ ...base, timeLeftMs: 11_000 })).toMatchObject({ tier: 'flex' });
  });

  it('runs standard, the quickest, when nothing meets the deadline', () => {
    const choice = chooseServiceTier({ ...base, timeLeftMs: 500 });
    expect(choice).toMatchObject({ ok: true, tier: 'standard' });
    expect(choice.options.every((option) => !option.meets_deadline)).toBe(true);
  });

  it('uses the measured batch turnaround over the catalog', () => {
    const slow = chooseServiceTier({
      ...base,
      timeLeftMs: 2 * 3_600_000,
      measuredBatchTurnaroundMs: 3 * 3_600_000,
    });
    expect(slow).toMatchObject({ tier: 'flex' });
    const quick = chooseServiceTier({
      ...base,
      timeLeftMs: 120_000,
      measuredBatchTurnaroundMs: 60_000,
    });
    expect(quick).toMatchObject({ tier: 'batch' });
  });

  it('only offers tiers the work can run on and the model has', () => {
    const choice = chooseServiceTier({
      ...base,
      runnable: ['standard', 'flex'],
      timeLeftMs: 86_400_000,
    });
    expect(choice).toMatchObject({ tier: 'flex' });
    const bare = chooseServiceTier({
      ...base,
      entry: { ...entry, service_tiers: {} },
      timeLeftMs: 86_400_000,
    });
    expect(bare).toMatchObject({ tier: 'standard' });
    expect(bare.options.map((option) => option.tier)).toEqual(['standard']);
  });

  it('keeps a pinned tier the model offers and refuses one it does not', () => {
    expect(chooseServiceTier({ ...base, requested: 'flex' })).toMatchObject({
      ok: true,
      tier: 'flex',
    });
    expect(
      chooseServiceTier({ ...base, requested: 'standard', timeLeftMs: 86_400_000 }),
    ).toMatchObject({
      tier: 'standard',
    });
    const refused = chooseServiceTier({ ...base, requested: 'batch', runnable: ['standard'] });
    expect(refused).toMatchObject({ ok: false });
    expect(!refused.ok && refused.message).toMatch(/batch/);
  });
});
