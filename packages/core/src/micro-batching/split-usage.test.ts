import { splitTotal } from './split-usage';

test.each([
  [10, [1, 1], [5, 5]],
  [10, [1, 2, 1], [3, 5, 2]],
  [7, [3, 3, 3], [3, 2, 2]],
  [5, [0, 0], [3, 2]],
  [0, [4, 1], [0, 0]],
  [3, [], []],
])('splits %i by %j into %j, adding up exactly', (total, weights, shares) => {
  expect(splitTotal(total, weights)).toEqual(shares);
  if (weights.length > 0)
    expect(splitTotal(total, weights).reduce((sum, share) => sum + share, 0)).toBe(total);
});
