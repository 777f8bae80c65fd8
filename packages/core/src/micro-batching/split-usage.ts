/**
 * Splits an integer total (a call's tokens) into shares proportional to `weights` (each
 * item's text length), by largest remainder: the shares are integers and add up to exactly
 * the total, so the cost of a batched call is billed to its lines without losing or adding
 * a token. Zero weights everywhere split evenly.
 */
export function splitTotal(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((acc, weight) => acc + Math.max(0, weight), 0);
  const exact = weights.map((weight) =>
    sum > 0 ? (total * Math.max(0, weight)) / sum : total / weights.length,
  );
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((acc, share) => acc + share, 0);
  const byRemainder = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left <= 0) break;
    shares[index] = (shares[index] as number) + 1;
    left -= 1;
  }
  return shares;
}
