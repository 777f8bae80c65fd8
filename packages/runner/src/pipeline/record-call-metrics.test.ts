import { type AttemptRecord, createMetrics } from '@llmq/core';
import { recordCallMetrics } from './record-call-metrics';

const call = (fields: Partial<AttemptRecord> & Pick<AttemptRecord, 'model' | 'outcome'>) => ({
  provider: 'p',
  started_at: 0,
  latency_ms: 1,
  cost_usd: 0,
  ...fields,
});

async function value(metrics: ReturnType<typeof createMetrics>, name: string, labels: object) {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((sample) =>
    Object.entries(labels).every(([key, label]) => sample.labels[key] === label),
  )?.value;
}

describe('recordCallMetrics', () => {
  it('adds each new call cost per model and counts a move down the chain as a fallback', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const attempts: AttemptRecord[] = [
      call({ model: 'a', outcome: 'error', error_code: 'server_error', cost_usd: 0 }),
      call({ model: 'a', outcome: 'error', error_code: 'server_error' }),
      call({ model: 'b', outcome: 'success', cost_usd: 0.002 }),
    ];
    recordCallMetrics(metrics, attempts, 0);
    expect(await value(metrics, 'llm_cost_dollars', { model: 'b' })).toBeCloseTo(0.002);
    expect(
      await value(metrics, 'llm_fallbacks_total', {
        from_model: 'a',
        to_model: 'b',
        reason: 'server_error',
      }),
    ).toBe(1);
  });

  it('skips calls an earlier attempt already recorded, and hedge arms', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const attempts: AttemptRecord[] = [
      call({ model: 'a', outcome: 'error', error_code: 'timeout', cost_usd: 0.5 }),
      call({ model: 'b', outcome: 'aborted', hedge: 'secondary', cost_usd: 0.001 }),
      call({ model: 'a', outcome: 'success', cost_usd: 0.003 }),
    ];
    recordCallMetrics(metrics, attempts, 1);
    expect(await value(metrics, 'llm_cost_dollars', { model: 'a' })).toBeCloseTo(0.003);
    expect(await value(metrics, 'llm_cost_dollars', { model: 'b' })).toBeCloseTo(0.001);
    expect(await value(metrics, 'llm_fallbacks_total', {})).toBeUndefined();
  });

  it('labels spend with the tier it ran on, standard when the call names none', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    recordCallMetrics(
      metrics,
      [
        call({ model: 'a', outcome: 'success', cost_usd: 0.004 }),
        call({ model: 'a', outcome: 'success', cost_usd: 0.002, service_tier: 'flex' }),
      ],
      0,
    );
    expect(await value(metrics, 'llm_cost_dollars', { model: 'a', tier: 'standard' })).toBeCloseTo(
      0.004,
    );
    expect(await value(metrics, 'llm_cost_dollars', { model: 'a', tier: 'flex' })).toBeCloseTo(
      0.002,
    );
  });
});
