import { CountersStore } from './counters-store';
import type { RecordedRequest } from './simulator-counters';

const call = (at: number): RecordedRequest => ({
  at,
  route: '/v1/completions',
  model: 'sim-a',
  status: 200,
  stream: false,
  inputCount: 1,
  headers: {},
});

describe('CountersStore', () => {
  it('keeps only the latest requests, oldest first', () => {
    const store = new CountersStore(3);
    for (let at = 1; at <= 5; at += 1) store.record(call(at), { input: 2, output: 3 });
    const counters = store.snapshot();
    expect(counters.recent.map((request) => request.at)).toEqual([3, 4, 5]);
    expect(counters).toMatchObject({
      total: 5,
      inputTokens: 10,
      outputTokens: 15,
      byStatus: { '200': 5 },
    });
    store.reset();
    expect(store.snapshot()).toMatchObject({ total: 0, recent: [], byModel: {} });
  });
});
