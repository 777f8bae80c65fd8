import { planLaneConcurrency } from './lane-shares';

describe('planLaneConcurrency', () => {
  it('keeps every share when no lane has work waiting', () => {
    expect(
      planLaneConcurrency([
        { share: 50, waiting: 0, active: 3 },
        { share: 50, waiting: 0, active: 0 },
        { share: 20, waiting: 0, active: 20 },
      ]),
    ).toEqual([50, 50, 20]);
  });

  it('lends the idle lanes’ unused slots to the busy lane, keeping their own shares', () => {
    expect(
      planLaneConcurrency([
        { share: 50, waiting: 0, active: 10 },
        { share: 50, waiting: 0, active: 0 },
        { share: 20, waiting: 20_000, active: 20 },
      ]),
    ).toEqual([50, 50, 20 + 40 + 50]);
  });

  it('splits what is lent between busy lanes by their shares, remainder to the first', () => {
    expect(
      planLaneConcurrency([
        { share: 30, waiting: 5, active: 30 },
        { share: 7, waiting: 0, active: 0 },
        { share: 10, waiting: 9, active: 10 },
      ]),
    ).toEqual([30 + 6, 7, 10 + 1]);
  });

  it('lends nothing when every lane has work waiting', () => {
    expect(
      planLaneConcurrency([
        { share: 5, waiting: 1, active: 5 },
        { share: 3, waiting: 2, active: 3 },
      ]),
    ).toEqual([5, 3]);
  });
});
