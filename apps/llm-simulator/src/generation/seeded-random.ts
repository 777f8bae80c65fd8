import { hash } from 'node:crypto';

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/**
 * A deterministic PRNG (sfc32) seeded from the sha256 of `seedMaterial`, so the same request
 * always draws the same numbers in any process and on any machine.
 */
export function createSeededRandom(seedMaterial: string): RandomSource {
  // The one-shot hash: the same digest as `createHash`, without a Hash object per request.
  const digest = hash('sha256', seedMaterial, 'buffer');
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  return () => {
    const sum = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + sum) | 0;
    return (sum >>> 0) / 4294967296;
  };
}

/** A whole number drawn uniformly from `minimum` to `maximum`, both included. */
export function randomInteger(random: RandomSource, minimum: number, maximum: number): number {
  return minimum + Math.floor(random() * (maximum - minimum + 1));
}
