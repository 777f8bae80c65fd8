import { loadModelCatalog } from '../catalog/load-model-catalog';
import { estimateRequest } from '../cost/estimate-request';
import { isClientError } from '../errors/client-error';
import { jobRequestSchema } from '../jobs/job-request';

const catalog = loadModelCatalog();

function estimate(body: Record<string, unknown>) {
  return estimateRequest(
    catalog,
    'sim-gpt-fast',
    jobRequestSchema.parse({ prompt: 'Summarise the ledger.', max_tokens: 100, ...body }),
  );
}

describe('the estimate per tier, from the shipped catalog', () => {
  it('prices every tier the model offers and runs standard without a deadline', () => {
    const result = estimate({ model: 'sim-gpt-fast' });
    expect(result.service_tier).toBe('standard');
    expect(result.complete_by_ms).toBeUndefined();
    const byTier = Object.fromEntries(result.tiers.map((option) => [option.tier, option]));
    expect(Object.keys(byTier)).toEqual(['standard', 'flex', 'batch']);
    // The catalog's flex and batch prices are half of standard for this model.
    expect(byTier.flex?.cost_usd).toBeCloseTo((byTier.standard?.cost_usd ?? 0) / 2, 7);
    expect(byTier.batch?.cost_usd).toBeCloseTo((byTier.standard?.cost_usd ?? 0) / 2, 7);
    expect(result.tiers.every((option) => option.meets_deadline)).toBe(true);
  });

  it('says which tiers meet a deadline', () => {
    const short = estimate({ model: 'sim-gpt-fast', deadline_ms: 2_000 });
    expect(short.tiers.map((option) => [option.tier, option.meets_deadline])).toEqual([
      ['standard', true],
      ['flex', false],
      ['batch', false],
    ]);
    expect(short.service_tier).toBe('standard');
    const day = estimate({
      model: 'sim-gpt-fast',
      complete_by: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(day.tiers.every((option) => option.meets_deadline)).toBe(true);
    // The cheapest a single job can run on: flex (provider batches take batch lines).
    expect(day.service_tier).toBe('flex');
    expect(day.complete_by_ms).toBeGreaterThan(Date.now());
  });

  it('lists only standard for a model with no cheaper tier', () => {
    expect(estimate({ model: 'sim-local-llama' }).tiers.map((option) => option.tier)).toEqual([
      'standard',
    ]);
  });

  it('refuses a pinned tier a job cannot run on, and both deadline fields at once', () => {
    expect(estimate({ model: 'sim-gpt-fast', service_tier: 'standard' }).service_tier).toBe(
      'standard',
    );
    let refused: unknown;
    try {
      estimate({ model: 'sim-gpt-fast', service_tier: 'batch' });
    } catch (error) {
      refused = error;
    }
    expect(isClientError(refused) && refused.code).toBe('service_tier_unavailable');
    const both = jobRequestSchema.safeParse({
      prompt: 'x',
      complete_by: 1_900_000_000,
      deadline_ms: 5,
    });
    expect(both.success).toBe(false);
  });
});
