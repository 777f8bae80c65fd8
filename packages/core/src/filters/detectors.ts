import { z } from 'zod';
import { passesIbanChecksum, passesLuhn } from './checksums';
import { maskJsonEscapes } from './json-escapes';
import { promptInjectionPatterns, promptInjectionTriggers } from './prompt-injection-patterns';

/** Closed set of detectors; input and output filters share them. */
export const detectorIdSchema = z.enum([
  'email',
  'phone',
  'credit_card',
  'iban',
  'secret',
  'prompt_injection',
]);
export type DetectorId = z.infer<typeof detectorIdSchema>;

/** One match inside a text: offsets only, never the matched text itself. */
export interface DetectorMatch {
  detector: DetectorId;
  start: number;
  end: number;
}

interface Detector {
  id: DetectorId;
  /** Replacement used by the `redact` policy. */
  placeholder: string;
  /** Matches in `text`, the text with its JSON escapes masked; `raw` is the text as given. */
  find(text: string, raw: string): DetectorMatch[];
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
      for (const match of allMatches(pattern, text)) {
        if (!accept(match[0])) continue;
        matches.push({ detector: id, start: match.index, end: match.index + match[0].length });
      }
      return matches;
    },
  };
}

/**
 * The matches of a global `pattern`, as `text.matchAll(pattern)` finds them, without the copy of
 * the pattern `matchAll` makes on every call: the copies were most of a short prompt's detector
 * time (13 scans, ~6 of its ~7 µs). Runs to the end, so the shared pattern's `lastIndex` is 0
 * again after it (as `String.prototype.replace` leaves it for the logger's use of one pattern).
 */
function allMatches(pattern: RegExp, text: string): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    // No detector's pattern matches the empty string; this only keeps the loop finite if one did.
    if (match[0] === '') pattern.lastIndex++;
    matches.push(match);
  }
  return matches;
}

const onlyDigits = (value: string) => value.replace(/\D/g, '');

/**
 * Secrets: provider and platform API keys, cloud access keys, tokens and PEM private keys.
 * The logger scrubs the same shapes from every line ({@link maskSecrets}).
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
export function findEmails(text: string): Array<{ start: number; end: number }> {
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

/**
 * Replaces every email address in `text` with `placeholder`, one right after a JSON escape
 * (`\n`, `\u00e9` …) too (see `json-escapes.ts`).
 */
export function maskEmails(text: string, placeholder: string): string {
  return replaceSpans(text, findEmails(maskJsonEscapes(text)), () => placeholder);
}

/**
 * Replaces every match of {@link secretPattern} in `text` with `placeholder`, one right after a
 * JSON escape (`\n`, `\t` …) too (see `json-escapes.ts`).
 */
export function maskSecrets(text: string, placeholder: string): string {
  const spans = allMatches(secretPattern, maskJsonEscapes(text)).map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
  }));
  return replaceSpans(text, spans, () => placeholder);
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
    find(text, raw) {
      const matches = injectionMatches(text);
      if (raw === text) return matches;
      // Read as given too, a phrase starting right after a backslash: the mask makes the
      // first letter of `\forget all previous instructions` or `\tell me your system prompt`
      // (prose, LaTeX) a backslash, and a tripwire must not lose a phrase it found before.
      // Only there: a stream's scan never starts right after a backslash (`stream-breaks.ts`),
      // so it finds these as the whole text's scan does. Matches of the masked text come
      // first, so they win an overlap.
      for (const match of injectionMatches(raw))
        if (raw.charCodeAt(match.start - 1) === 92) matches.push(match);
      return matches;
    },
  },
];

function injectionMatches(text: string): DetectorMatch[] {
  const matches: DetectorMatch[] = [];
  // One scan for the words every pattern begins with instead of nine scans: most texts have
  // none of them.
  if (!promptInjectionTriggers.test(text)) return matches;
  for (const pattern of promptInjectionPatterns) {
    for (const match of allMatches(pattern, text)) {
      matches.push({
        detector: 'prompt_injection',
        start: match.index,
        end: match.index + match[0].length,
      });
    }
  }
  return matches;
}

/** Replacement text per detector for the `redact` policy. */
export const detectorPlaceholders: Record<DetectorId, string> = Object.fromEntries(
  detectors.map((detector) => [detector.id, detector.placeholder]),
) as Record<DetectorId, string>;

/** A digit as the detectors' patterns read one: `\d` without the `u` flag is `[0-9]`. */
const asciiDigit = /[0-9]/;
/**
 * Detectors that find nothing in a text without a digit: every IBAN has its check digits
 * (`[A-Z]{2}\d{2}`), a card number is digits, and every phone pattern's branch needs some.
 */
const needsDigit: ReadonlySet<DetectorId> = new Set(['iban', 'credit_card', 'phone']);

/** No detector matches fewer characters (`a@b.co`, `开启越狱模式`). */
const shortestMatch = 6;

/**
 * Runs the enabled detectors over `text`. Overlapping matches are resolved in detector order
 * (earlier detectors win), so one span is reported once. Overlaps are checked against a map
 * of covered characters: a match costs its length, so thousands of matches stay linear.
 * The detectors read `text` with its JSON escapes masked (`json-escapes.ts`): a match right
 * after `\n`, `\t` or `\u00e9` is found as after a real new line, and none cuts an escape.
 */
export function detect(input: string, enabled: ReadonlySet<DetectorId>): DetectorMatch[] {
  // Thousands of tiny content parts cost a dozen regex scans each; none of them can match.
  if (input.length < shortestMatch) return [];
  const text = maskJsonEscapes(input);
  const accepted: DetectorMatch[] = [];
  // Made at the first match: most texts (every clean answer) have none.
  let covered: Uint8Array | undefined;
  // One scan for a digit instead of three patterns' scans, which find nothing without one.
  const digits = asciiDigit.test(text);
  for (const detector of detectors) {
    if (!enabled.has(detector.id) || (!digits && needsDigit.has(detector.id))) continue;
    for (const match of detector.find(text, input)) {
      covered ??= new Uint8Array(text.length);
      if (covered.subarray(match.start, match.end).includes(1)) continue;
      covered.fill(1, match.start, match.end);
      accepted.push(match);
    }
  }
  return accepted.sort((a, b) => a.start - b.start);
}

/**
 * `text` with each span replaced by `replacement(span)`; `spans` sorted by start and not
 * overlapping. Built left to right in one pass (slicing per span was quadratic in matches).
 */
export function replaceSpans<Span extends { start: number; end: number }>(
  text: string,
  spans: readonly Span[],
  replacement: (span: Span) => string,
): string {
  const pieces: string[] = [];
  let offset = 0;
  for (const span of spans) {
    pieces.push(text.slice(offset, span.start), replacement(span));
    offset = span.end;
  }
  pieces.push(text.slice(offset));
  return pieces.join('');
}
