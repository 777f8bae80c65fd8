import { mulberry32 } from './seeded-random';

/**
 * Random-hyperplane LSH (Charikar's SimHash) for cosine similarity, so a semantic lookup reads
 * a few buckets instead of every vector of a scope. Each of `tables` hash tables gives a vector
 * a `bits`-bit signature: bit i is the side of random hyperplane i the vector lies on. Two
 * vectors at angle θ agree on one bit with probability p = 1 − θ/π, so they share a table's
 * bucket with probability q = p^bits, and share at least m of L buckets with probability
 * P(Binomial(L, q) ≥ m).
 *
 * A stored vector becomes a candidate when it shares a bucket in at least `minCollisions`
 * tables; candidates are then compared exactly (cosine). Defaults: 32 tables × 14 bits, at
 * least 2 collisions. At the default threshold, cosine 0.95 (θ = 18.2°, p = 0.899, q = 0.225),
 * a true match shares fewer than 2 of 32 buckets with probability 0.775^32 + 32·0.225·0.775^31
 * ≈ 0.3%: recall 99.7% at exactly 0.95, 99.9% at 0.96, 99.99% at 0.97 (paraphrases usually
 * score higher). Other vectors become candidates with probability 37% at cosine 0.8, 10% at
 * 0.7, 0.5% at 0.5 and 5·10⁻⁵ at 0.2. Requiring two collisions rather than one cuts candidates
 * at cosine 0.5 about 30-fold for 0.3% of recall; 14 rather than 12 bits make buckets 4× smaller
 * (fewer ids read per lookup) for the same recall with 32 rather than 24 tables. What remains
 * with prompts that share most of their wording (a tenant's real traffic) is bounded by
 * reading only the candidates with the most collisions (`SemanticCacheOptions.maxCandidates`):
 * a true match shares ~7 buckets, a vector at cosine 0.8 ~1.3. Measured in
 * bench/semantic-cache.mjs (lookup latency and recall against an exhaustive search at 100,000
 * entries in one scope).
 */
export interface LshOptions {
  /** Hash tables (default 32). */
  tables: number;
  /** Bits (hyperplanes) per table, at most 30 (default 14). */
  bits: number;
  /** Seed of the hyperplanes: every process must use the same one (default fixed). */
  seed: number;
}

export const defaultLshOptions: LshOptions = { tables: 32, bits: 14, seed: 0x5eed_cace };

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
