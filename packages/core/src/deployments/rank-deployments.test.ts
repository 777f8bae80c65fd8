import type { ModelDeployment } from '../catalog/model-deployments';
import {
  type DeploymentState,
  headroomOf,
  rankDeployments,
  weightedOrder,
} from './rank-deployments';

const deployment = (id: string, extra: Partial<ModelDeployment> = {}): ModelDeployment => ({
  id,
  provider: 'simulator-openai',
  account: 'simulator-openai',
  upstream_model: 'sim-gpt-fast',
  weight: 1,
  stateModel: `sim-gpt-fast@${id}`,
  ...extra,
});
const state = (extra: Partial<DeploymentState> = {}): DeploymentState => ({
  inFlight: 0,
  latencyMs: undefined,
  unhealthy: false,
  requestsUsed: 0,
  tokensUsed: 0,
  ...extra,
});
const ids = (list: ModelDeployment[]) => list.map((item) => item.id);

/** A seeded generator, so draws are reproducible. */
function seeded(seed: number): () => number {
  let value = seed;
  return () => {
    value = (value * 1_103_515_245 + 12_345) % 2 ** 31;
    return value / 2 ** 31;
  };
}

describe('deployment strategies', () => {
  it('weighted: first picks follow the weights 3:1', () => {
    const list = [deployment('east', { weight: 3 }), deployment('west', { weight: 1 })];
    const random = seeded(7);
    let east = 0;
    const draws = 20_000;
    for (let index = 0; index < draws; index += 1) {
      if (weightedOrder(list, random)[0]?.id === 'east') east += 1;
    }
    expect(east / draws).toBeGreaterThan(0.73);
    expect(east / draws).toBeLessThan(0.77);
  });

  it('weighted: every deployment appears once in the order', () => {
    const list = ['a', 'b', 'c', 'd'].map((id) => deployment(id));
    expect(ids(weightedOrder(list, seeded(3))).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('weighted with state: unhealthy deployments go last whatever their weight', () => {
    const list = [deployment('heavy', { weight: 1000 }), deployment('light')];
    const order = rankDeployments('weighted', list, [state({ unhealthy: true }), state()]);
    expect(ids(order)).toEqual(['light', 'heavy']);
  });

  it('least-busy: fewest calls in flight per unit of weight first', () => {
    const list = [deployment('a'), deployment('b', { weight: 4 }), deployment('c')];
    const order = rankDeployments('least-busy', list, [
      state({ inFlight: 3 }),
      state({ inFlight: 8 }),
      state({ inFlight: 1 }),
    ]);
    expect(ids(order)).toEqual(['c', 'b', 'a']);
  });

  it('lowest-latency: untried first, then the lowest moving average; unhealthy last', () => {
    const list = [deployment('slow'), deployment('fast'), deployment('new'), deployment('down')];
    const order = rankDeployments('lowest-latency', list, [
      state({ latencyMs: 900 }),
      state({ latencyMs: 120 }),
      state(),
      state({ latencyMs: 10, unhealthy: true }),
    ]);
    expect(ids(order)).toEqual(['new', 'fast', 'slow', 'down']);
  });

  it('most-headroom: the deployment furthest under its limits first, unlimited ones too', () => {
    const limited = (rpm: number, tpm?: number) => ({
      rate_limits: { rpm, ...(tpm ? { tpm } : {}), window_ms: 60_000 },
    });
    const list = [
      deployment('full', limited(100)),
      deployment('half', limited(100, 10_000)),
      deployment('free'),
      deployment('quarter', limited(400)),
    ];
    const states = [
      state({ requestsUsed: 100 }),
      state({ requestsUsed: 10, tokensUsed: 5_000 }),
      state({ requestsUsed: 50 }),
      state({ requestsUsed: 100 }),
    ];
    expect(headroomOf(list[1] as ModelDeployment, states[1] as DeploymentState)).toBeCloseTo(0.5);
    expect(ids(rankDeployments('most-headroom', list, states))).toEqual([
      'free',
      'quarter',
      'half',
      'full',
    ]);
  });

  it('falls back to the weighted draw when no state could be read', () => {
    const list = [deployment('a'), deployment('b')];
    expect(ids(rankDeployments('least-busy', list, undefined, seeded(1))).sort()).toEqual([
      'a',
      'b',
    ]);
  });
});
