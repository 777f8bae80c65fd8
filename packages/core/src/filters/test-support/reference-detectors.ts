import { passesIbanChecksum, passesLuhn } from '../checksums';
import type { DetectorId, DetectorMatch } from '../detectors';
import { promptInjectionPatterns } from '../prompt-injection-patterns';

/**
 * The detectors as they ran up to session 10 (commit 2ffa24a, verbatim but for names): every
 * enabled detector's regular expressions over every text, through `matchAll`. The reference
 * `detect` must agree with, finding for finding (`detectors-reference.test.ts`). A pattern
 * changed in `detectors.ts` must be changed here too, or the differential test fails. It reads
 * the text as given: JSON escapes (`detect` masks them, `json-escapes.ts`) are the test's to
 * mask before calling it.
 */
interface Detector {
  id: DetectorId;
  /** Replacement used by the `redact` policy. */
  placeholder: string;
  find(text: string): DetectorMatch[];
}

function regexDetector(
  id: DetectorId,
  placeholder: string,
  pattern: RegExp,
  accept: (match: string) => boolean = () => true,
): Detector {
  return {
    id,
    placeholder,
    find(text) {
      const matches: DetectorMatch[] = [];
      for (const match of text.matchAll(pattern)) {
        if (!accept(match[0])) continue;
        matches.push({ detector: id, start: match.index, end: match.index + match[0].length });
      }
      return matches;
    },
  };
}

/**
 * Secrets: provider and platform API keys, cloud access keys, tokens and PEM private keys.
 * Exported so the logger scrubs the same shapes from every line.
 */
const secretPattern = new RegExp(
  [
    '-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)',
    '\\bsk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_-]{16,}',
    '\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b',
    '\\bgh[pousr]_[A-Za-z0-9]{30,}',
    '\\bgithub_pat_[A-Za-z0-9_]{40,}',
    '\\bxox[abposr]-[A-Za-z0-9-]{10,}',
    '\\bAIza[0-9A-Za-z_-]{35}',
    '\\bllmq_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}',
    // Only at the start of a run of token characters: with `\\b`, every `-eyJ` inside one long
    // run started a scan to the run's end, quadratic in the run.
    '(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}',
  ].join('|'),
  'g',
);

/** A lookup table of ASCII codes: a table read is several times cheaper than a regex test. */
function asciiSet(characters: string): Uint8Array {
  const set = new Uint8Array(128);
  for (let code = 0; code < 128; code++) {
    if (characters.includes(String.fromCharCode(code))) set[code] = 1;
  }
  return set;
}
const alphanumerics = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const localPartCharacters = asciiSet(`${alphanumerics}._%+-`);
const domainCharacters = asciiSet(`${alphanumerics}.-`);
const isIn = (set: Uint8Array, code: number): boolean => code < 128 && set[code] === 1;
const emailAtStart = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;

/**
 * Email addresses (RFC 5322-ish, good enough for prose). A plain global regex is quadratic on
 * long runs of address characters (50,000 letters took seconds), so this looks only around
 * each `@`, within the lengths an address may have (64 before, 253 after).
 */
function findEmails(text: string): Array<{ start: number; end: number }> {
  const spans: Array<{ start: number; end: number }> = [];
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > 0 && at - start < 64 && isIn(localPartCharacters, text.charCodeAt(start - 1)))
      start--;
    let end = at + 1;
    while (end < text.length && end - at <= 253 && isIn(domainCharacters, text.charCodeAt(end)))
      end++;
    // An address needs a local part and a dot in its domain: most `@`s fail here, cheaply.
    const match = start < at && end > at + 3 ? emailAtStart.exec(text.slice(start, end)) : null;
    if (match) spans.push({ start, end: start + match[0].length });
    at = text.indexOf('@', at + 1);
  }
  return spans;
}

const detectors: readonly Detector[] = [
  // Secrets first: a key may contain digit runs the other detectors would also claim.
  regexDetector('secret', '[SECRET]', secretPattern),
  {
    id: 'email',
    placeholder: '[EMAIL]',
    find: (text) => findEmails(text).map((span) => ({ detector: 'email', ...span })),
  },
  regexDetector('iban', '[IBAN]', /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g, (match) => {
    const compact = match.replace(/ /g, '');
    return compact.length >= 15 && compact.length <= 34 && passesIbanChecksum(compact);
  }),
  regexDetector('credit_card', '[CARD]', /\b\d(?:[ -]?\d){12,18}\b/g, (match) => {
    const digits = onlyDigits(match);
    return digits.length >= 13 && digits.length <= 19 && passesLuhn(digits);
  }),
  // International (+country code), (area) grouped, 3-3/4-4 grouped national numbers, and Chinese
  // mobiles (1[3-9] + 9 digits). Never part of a longer digit run (cards, IBANs, ids).
  regexDetector(
    'phone',
    '[PHONE]',
    /(?<!\d[\s.-]?)(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}|\(\d{2,4}\)[\s.-]?\d{3,4}[\s.-]?\d{4}|\d{3}[\s.-]\d{3,4}[\s.-]\d{4}|1[3-9]\d{9})(?![\s.-]?\d)/g,
    (match) => {
      const digits = onlyDigits(match).length;
      return digits >= 7 && digits <= 15;
    },
  ),
  {
    id: 'prompt_injection',
    placeholder: '[REMOVED]',
    find(text) {
      const matches: DetectorMatch[] = [];
      for (const pattern of promptInjectionPatterns) {
        for (const match of text.matchAll(pattern)) {
          matches.push({
            detector: 'prompt_injection',
            start: match.index,
            end: match.index + match[0].length,
          });
        }
      }
      return matches;
    },
  },
];

/** No detector matches fewer characters (`a@b.co`, `开启越狱模式`). */
const shortestMatch = 6;

/**
 * Runs the enabled detectors over `text`. Overlapping matches are resolved in detector order
 * (earlier detectors win), so one span is reported once. Overlaps are checked against a map
 * of covered characters: a match costs its length, so thousands of matches stay linear.
 */
export function referenceDetect(text: string, enabled: ReadonlySet<DetectorId>): DetectorMatch[] {
  // Thousands of tiny content parts cost a dozen regex scans each; none of them can match.
  if (text.length < shortestMatch) return [];
  const accepted: DetectorMatch[] = [];
  const covered = new Uint8Array(text.length);
  for (const detector of detectors) {
    if (!enabled.has(detector.id)) continue;
    for (const match of detector.find(text)) {
      if (covered.subarray(match.start, match.end).includes(1)) continue;
      covered.fill(1, match.start, match.end);
      accepted.push(match);
    }
  }
  return accepted.sort((a, b) => a.start - b.start);
}

const onlyDigits = (value: string) => value.replace(/\D/g, '');
