import { promptNumbers } from './prompt-numbers';

/**
 * What must agree between a prompt and a cached prompt before a semantic hit is served.
 * Embeddings place "Is this drug safe for children?" next to "Is this drug not safe for
 * children?" and "Give me 3 ideas" next to "Give me 5 ideas": a negation or a number changes
 * the answer while barely moving the vector. Stored with each entry (not the prompt text).
 */
export interface GuardFeatures {
  /** How many negations the prompt has (English, a few European words, Chinese 不/没/未/无/别/非). */
  negations: number;
  /** The numbers it states, sorted (see {@link promptNumbers}). */
  numbers: string[];
}

/** English and basic European negation words; `n't` contractions are counted separately. */
const negationWords = new Set([
  'not',
  'no',
  'never',
  'none',
  'nobody',
  'nothing',
  'nowhere',
  'neither',
  'nor',
  'cannot',
  'without',
  'nicht',
  'kein',
  'keine',
  'keinen',
  'nie',
  'jamais',
  'pas',
  'nunca',
]);

/** Chinese words that contain a negation character but negate nothing ("but", "very", "whether"). */
const chineseNonNegations = /不过|不過|不仅|不僅|不但|不管|不论|不論|无论|無論|非常/g;
const chineseNegation = /[不没沒未无無别別非勿莫]/g;

/** Counts the negations of a text: words, `n't` contractions and Chinese negation characters. */
export function countNegations(text: string): number {
  const lower = text.toLowerCase().replace(/[’‘`]/g, "'");
  let count = 0;
  for (const word of lower.split(/[^\p{L}']+/u)) {
    if (word.length === 0) continue;
    if (negationWords.has(word) || /n't$/.test(word)) count += 1;
  }
  // 没有 ("have not") is one negation: only the negating character counts.
  count += (text.replace(chineseNonNegations, ' ').match(chineseNegation) ?? []).length;
  return count;
}

/** The guard features of a prompt (or of a whole conversation's text). */
export function guardFeatures(text: string): GuardFeatures {
  return { negations: countNegations(text), numbers: promptNumbers(text).sort() };
}

/**
 * Whether two prompts agree on negation and numbers: the same count of negations and the same
 * numbers (as a multiset). A disagreement refuses the hit however close the vectors are.
 */
export function guardsAgree(left: GuardFeatures, right: GuardFeatures): boolean {
  if (left.negations !== right.negations) return false;
  if (left.numbers.length !== right.numbers.length) return false;
  return left.numbers.every((value, index) => value === right.numbers[index]);
}
