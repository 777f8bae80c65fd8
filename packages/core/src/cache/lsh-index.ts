/**
 * Random-hyperplane LSH (Charikar's SimHash) for cosine similarity, so a semantic lookup reads
 * a few buckets instead of every vector of a scope. Each of `tables` hash tables gives a vector
 * a `bits`-bit signature: bit i is the side of random hyperplane i the vector lies on. Two
 * vectors at angle θ agree on one bit with probability p = 1 − θ/π, so they share a table's
 * bucket with probability p^bits.
 *
 * A stored vector becomes a candidate when it shares a bucket in at least `minCollisions`
 * tables; the candidates are then compared exactly (cosine). Defaults: 24 tables × 12 bits,
 * at least 2 collisions. At the default threshold, cosine 0.95 (θ = 18.2°, p = 0.899,
 * p^12 = 0.278), the chance that a true match shares fewer than 2 of 24 buckets is
 * 0.72^24 + 24·0.278·0.72^23 ≈ 0.4%: recall 99.6% at exactly 0.95, 99.99% at 0.97 (a
 * paraphrase usually scores higher). An unrelated vector (cosine 0.2) becomes a candidate with
 * probability 3·10⁻⁴ (30 of 100,000 entries), one at cosine 0.5 with 1.5%. Requiring two
 * collisions rather than one cuts those candidates about 40-fold for 0.4% of recall, which
 * is what keeps a lookup at 100,000 entries to one small Redis reply (see bench/semantic-cache.mjs).
 * 12 bits keep each table at most 4,096 buckets, so a full scope's index is one Redis hash
 * of at most 98,304 fields.
 */
export interface LshOptions {
  /** Hash tables (default 24). */
  tables: number;
  /** Bits (hyperplanes) per table, at most 30 (default 12). */
  bits: number;
  /** Seed of the hyperplanes: every process must use the same one (default fixed). */
  seed: number;
}

export const defaultLshOptions: LshOptions = { tables: 24, bits: 12, seed: 0x5eed_cace };

/**
 * The hyperplanes of one configuration and dimension, generated deterministically from the
 * seed, so every API instance and worker computes the same signatures without sharing state.
 */
export class LshIndex {
  private readonly planes: Float32Array;

  constructor(
    readonly dimensions: number,
    readonly options: LshOptions = defaultLshOptions,
  ) {
    if (options.bits < 1 || options.bits > 30) throw new Error('LSH bits must be 1-30');
    const random = gaussian(mulberry32(options.seed ^ dimensions));
    this.planes = new Float32Array(options.tables * options.bits * dimensions);
    for (let index = 0; index < this.planes.length; index += 1) this.planes[index] = random();
  }

  /** A short description of the configuration, part of every scope key (a change starts afresh). */
  get id(): string {
    return `${this.options.tables}x${this.options.bits}:${this.options.seed}:${this.dimensions}`;
  }

  /** The bucket of `vector` in each table, as hash field names `<table>:<signature base 36>`. */
  buckets(vector: Float32Array): string[] {
    const { tables, bits } = this.options;
    const dimensions = this.dimensions;
    const fields: string[] = new Array(tables);
    let offset = 0;
    for (let table = 0; table < tables; table += 1) {
      let signature = 0;
      for (let bit = 0; bit < bits; bit += 1) {
        let dot = 0;
        for (let index = 0; index < dimensions; index += 1)
          dot += (this.planes[offset + index] ?? 0) * (vector[index] ?? 0);
        offset += dimensions;
        signature = signature * 2 + (dot >= 0 ? 1 : 0);
      }
      fields[table] = `${table}:${signature.toString(36)}`;
    }
    return fields;
  }
}

/** A small, fast seeded PRNG (uniform in [0, 1)). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Standard normal samples (Box–Muller): Gaussian hyperplanes make the signature rotation-invariant. */
function gaussian(uniform: () => number): () => number {
  return () => {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    return radius * Math.cos(2 * Math.PI * uniform());
  };
}

/** `vector` scaled to unit length (a zero vector stays zero), as Float32. */
export function unitVector(vector: ArrayLike<number>): Float32Array {
  let squared = 0;
  for (let index = 0; index < vector.length; index += 1) squared += (vector[index] ?? 0) ** 2;
  const length = Math.sqrt(squared);
  const unit = new Float32Array(vector.length);
  if (length > 0)
    for (let index = 0; index < vector.length; index += 1)
      unit[index] = (vector[index] ?? 0) / length;
  return unit;
}

/** Dot product of two unit vectors: their cosine similarity. */
export function dot(left: Float32Array, right: Float32Array): number {
  if (left.length !== right.length) return 0;
  let sum = 0;
  for (let index = 0; index < left.length; index += 1)
    sum += (left[index] ?? 0) * (right[index] ?? 0);
  return sum;
}
