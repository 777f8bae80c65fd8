import { dot, LshIndex, unitVector } from './lsh-index';

/** A seeded stream of standard normal numbers, so the test is the same on every run. */
function normals(seed: number): () => number {
  let state = seed;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (state + 1) / 2_147_483_650;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Two unit vectors at exactly `cosine` from each other. */
function pairAt(cosine: number, dimensions: number, random: () => number) {
  const a = unitVector(Array.from({ length: dimensions }, random));
  const noise = Array.from({ length: dimensions }, random);
  const along = noise.reduce((sum, value, index) => sum + value * (a[index] ?? 0), 0);
  const b = unitVector(noise.map((value, index) => value - along * (a[index] ?? 0)));
  const sine = Math.sqrt(1 - cosine * cosine);
  return [a, unitVector(Array.from(a, (value, index) => cosine * value + sine * (b[index] ?? 0)))];
}

const shared = (left: string[], right: string[]) =>
  left.filter((bucket, index) => bucket === right[index]).length;

describe('LshIndex', () => {
  it('gives every process the same buckets for the same vector', () => {
    const vector = unitVector(Array.from({ length: 64 }, normals(1)));
    expect(new LshIndex(64).buckets(vector)).toEqual(new LshIndex(64).buckets(vector));
    expect(new LshIndex(64).buckets(vector)).toHaveLength(32);
  });

  it('finds pairs at cosine 0.95 in at least two tables, and rarely unrelated ones', () => {
    const dimensions = 256;
    const index = new LshIndex(dimensions);
    const random = normals(42);
    let close = 0;
    let unrelated = 0;
    const trials = 300;
    for (let trial = 0; trial < trials; trial += 1) {
      const [a, b] = pairAt(0.95, dimensions, random) as [Float32Array, Float32Array];
      expect(dot(a, b)).toBeCloseTo(0.95, 4);
      if (shared(index.buckets(a), index.buckets(b)) >= 2) close += 1;
      const [c, d] = pairAt(0.2, dimensions, random) as [Float32Array, Float32Array];
      if (shared(index.buckets(c), index.buckets(d)) >= 2) unrelated += 1;
    }
    // Theory (see LshIndex): 99.7% and 0.005%.
    expect(close / trials).toBeGreaterThanOrEqual(0.97);
    expect(unrelated / trials).toBeLessThanOrEqual(0.01);
  });
});
