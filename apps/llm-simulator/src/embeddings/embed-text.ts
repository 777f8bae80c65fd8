/** Dimensions of an embedding when the request does not ask for `dimensions`. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 256;

/** Weight of a whole-word feature relative to one character trigram. */
const WORD_WEIGHT = 1.5;

const CONTRACTIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/n['’]t\b/g, ' not'],
  [/['’]re\b/g, ' are'],
  [/['’]m\b/g, ' am'],
  [/['’]ll\b/g, ' will'],
  [/['’]ve\b/g, ' have'],
  [/['’]d\b/g, ' would'],
  [/['’]s\b/g, ' is'],
];

/**
 * Lowercases, spells out English contractions and turns punctuation into spaces, so
 * "What's the capital of France?" and "what is the capital of france" read the same.
 */
export function normalizeForEmbedding(text: string): string {
  let normalized = text.toLowerCase();
  for (const [pattern, replacement] of CONTRACTIONS)
    normalized = normalized.replace(pattern, replacement);
  return normalized.replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * A deterministic, L2-normalised embedding of `text`: its words and character trigrams are
 * hashed into `dimensions` buckets with a hashed sign (feature hashing). Texts that share
 * most words and spellings land close together; unrelated texts are near orthogonal.
 */
export function embedText(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): Float32Array {
  const vector = new Float64Array(dimensions);
  const normalized = normalizeForEmbedding(text);
  if (normalized.length > 0) {
    for (const word of normalized.split(' ')) addFeature(vector, `w:${word}`, WORD_WEIGHT);
    const padded = ` ${normalized} `;
    for (let start = 0; start + 3 <= padded.length; start += 1) {
      addFeature(vector, padded.slice(start, start + 3), 1);
    }
  }
  let squaredLength = 0;
  for (const value of vector) squaredLength += value * value;
  const length = Math.sqrt(squaredLength);
  const embedding = new Float32Array(dimensions);
  if (length > 0)
    for (let index = 0; index < dimensions; index += 1) embedding[index] = vector[index]! / length;
  return embedding;
}

function addFeature(vector: Float64Array, feature: string, weight: number): void {
  const hash = fnv1a(feature);
  // The bucket comes from the low bits and the sign from a mixed high bit, so the two are
  // independent and collisions cancel out on average instead of adding up.
  const bucket = hash % vector.length;
  const sign = mix(hash) & 1 ? 1 : -1;
  vector[bucket] = vector[bucket]! + sign * weight;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function mix(value: number): number {
  let mixed = value ^ (value >>> 16);
  mixed = Math.imul(mixed, 0x85ebca6b);
  mixed ^= mixed >>> 13;
  mixed = Math.imul(mixed, 0xc2b2ae35);
  return (mixed ^ (mixed >>> 16)) >>> 0;
}

/** Cosine similarity of two vectors of the same length. */
export function cosineSimilarity(left: ArrayLike<number>, right: ArrayLike<number>): number {
  let dot = 0;
  let leftSquared = 0;
  let rightSquared = 0;
  for (let index = 0; index < left.length; index += 1) {
    const a = left[index]!;
    const b = right[index]!;
    dot += a * b;
    leftSquared += a * a;
    rightSquared += b * b;
  }
  return leftSquared === 0 || rightSquared === 0 ? 0 : dot / Math.sqrt(leftSquared * rightSquared);
}
