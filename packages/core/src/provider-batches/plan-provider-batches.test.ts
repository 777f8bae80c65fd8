import {
  type PlannedProviderBatch,
  planProviderBatches,
  type WaitingLine,
} from './plan-provider-batches';

const batchTier = (maxLines: number) => ({
  batch: {
    pricing: { input: 1, output: 1, cached_input: 1 },
    expected_turnaround_ms: 1000,
    max_lines: maxLines,
  },
});

function line(
  customId: string,
  id: string,
  provider: WaitingLine['entry']['provider'],
  maxLines = 3,
): WaitingLine {
  return {
    customId,
    entry: { id, provider, upstream_model: `up-${id}`, service_tiers: batchTier(maxLines) },
  };
}

describe('planProviderBatches', () => {
  it('groups by provider account and model and respects the size limit, keeping order', () => {
    const lines = [
      line('a1', 'gpt', 'openai'),
      line('b1', 'claude', 'anthropic'),
      line('a2', 'gpt', 'openai'),
      line('a3', 'gpt', 'openai'),
      line('a4', 'gpt', 'openai'),
      line('c1', 'gpt', 'simulator-openai'),
    ];
    const planned: PlannedProviderBatch[] = planProviderBatches(lines);
    expect(planned).toEqual([
      { provider: 'openai', upstreamModel: 'up-gpt', customIds: ['a1', 'a2', 'a3'] },
      { provider: 'openai', upstreamModel: 'up-gpt', customIds: ['a4'] },
      { provider: 'anthropic', upstreamModel: 'up-claude', customIds: ['b1'] },
      { provider: 'simulator-openai', upstreamModel: 'up-gpt', customIds: ['c1'] },
    ]);
    // Every line is planned exactly once.
    const ids = planned.flatMap((batch) => batch.customIds);
    expect(new Set(ids).size).toBe(lines.length);
  });

  it('leaves out lines whose model has no provider batch tier', () => {
    const plain: WaitingLine = {
      customId: 'x',
      entry: { id: 'local', provider: 'local', upstream_model: 'llama', service_tiers: {} },
    };
    expect(planProviderBatches([plain, line('a1', 'gpt', 'openai')])).toEqual([
      { provider: 'openai', upstreamModel: 'up-gpt', customIds: ['a1'] },
    ]);
  });
});
