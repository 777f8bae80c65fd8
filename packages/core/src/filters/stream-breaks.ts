import { endsEscape, masksAlike } from './json-escapes';

/**
 * Where the stream output filter may start a scan and end a word: positions no detector's
 * match crosses, read off the patterns in `detectors.ts`. The detectors read a text with its
 * JSON escapes masked (`json-escapes.ts`): each letter of `\b \f \n \r \t` after a backslash,
 * and the `uXXXX` of `\uXXXX`, reads as `\`. In that masked text, the characters each can match:
 *
 * - `secret`, but for its PEM block: `[A-Za-z0-9_.-]` (keys and tokens; a JWT's dots), after
 *   `\b` or, for a JWT, `(?<![A-Za-z0-9_-])`.
 * - `email`: `[A-Za-z0-9._%+-]`, `@`, `[A-Za-z0-9.-]`; the look around each `@` stops at the
 *   first other character. (There is no URL detector; an address inside a URL ends at `/`,
 *   `?` or `:`.)
 * - `iban`: `[A-Z0-9 ]`; `credit_card`: `[0-9 -]`; both between `\b`s.
 * - `phone`: digits, `+ ( ) . -` and whitespace, with single separators between groups; it
 *   looks back two characters (`(?<!\d[\s.-]?)`) and ahead two.
 * - `secret`'s PEM block (`-----BEGIN … PRIVATE KEY-----` to its END line or the text's end)
 *   and `prompt_injection` (`[^.\n]{0,40}?` between its words): any character.
 *
 * So no match of the first five crosses (1) whitespace preceded by whitespace or by a
 * character no number holds (a card, IBAN or phone number has single separators between
 * digits, capitals and brackets), nor (2) JSON punctuation `" , : { } [ ] \` or a whole escape
 * (`\n`, `\u00e9`: backslashes once masked): a key or an address cannot take in a quote or a
 * backslash, and a phone number cannot span `","`. Such a character is no word character, no
 * digit, no `[\s.-]` and not in `[A-Za-z0-9_-]`, so `\b` and every look-behind read the same
 * just after it as at a text's start. A regex scan resumes after each match, even one a
 * checksum then rejects, so "no match crosses it" is what makes a scan starting just after it
 * find exactly what a scan of the whole text finds from there: a *clean break*, provided the
 * scan masks its text as the whole text's scan does. Masking reads one character back (is the
 * letter after a backslash?) and a `\uXXXX` five: so a break is never right after a `\` (in
 * `\n4111…` the scan would read `n4111…` unmasked and miss the card; a `\` stays a word
 * end, see `isJsonBreakCode`, but a scan starts after the whole escape), and it may be right
 * after a whole escape (`\n`, `\uXXXX`: in `\\n` too, as every backslash counts) or any
 * other break, where nothing before it changes how the scan masks what follows. A match
 * ending at one is final too (`\b` and the phone's look-ahead read a character that is no
 * digit and no `[\s.-]`), so what lies before the last one may go out once judged. An escape
 * cut off at the text's end (`\u00`) is masked only once whole; no match holds its characters
 * but one touching the end, which the filter holds. (The prompt-injection detector also reads
 * the text unmasked, keeping a phrase that starts right after a backslash: since no scan starts
 * right after one, a scan reads those as the whole text's does.)
 *
 * The PEM block and injection phrases can cross a clean break. The filter holds a PEM block
 * from its header until it is whole, and never starts a scan inside a match the scan before
 * found (inside a block released whole, a scan would not see what the block covers); an
 * injection phrase starting before a scan's start is the documented exception. JSON
 * punctuation breaks every text, not only a tool call's arguments: a structured answer's JSON
 * (often with no whitespace) would otherwise be held whole, and a client parsing partial JSON
 * (the Vercel AI SDK's `streamObject`) would get it at the end; in prose the same characters
 * end words as safely.
 */

/**
 * How far back a scan may start before what went out, looking for a clean break (see
 * {@link cleanBreakBefore}); past that (a long run of digits and capitals) it starts there.
 */
export const MAX_BACK = 256;

const whitespace = /\s/;

/** Whether a character code is whitespace (as `\s` reads it). */
export function isWhitespaceCode(code: number): boolean {
  if (code === 32 || (code >= 9 && code <= 13)) return true;
  return code > 127 && whitespace.test(String.fromCharCode(code));
}

/**
 * Whether a character code is JSON punctuation no match holds: `" , : { } [ ] \`. A word ends
 * at each; a scan never starts right after a `\` (see above).
 */
export function isJsonBreakCode(code: number): boolean {
  return (
    code === 34 || // "
    code === 44 || // ,
    code === 58 || // :
    code === 91 || // [
    code === 92 || // \
    code === 93 || // ]
    code === 123 || // {
    code === 125 // }
  );
}

/**
 * Digits, capitals, whitespace and the other separators of card, IBAN and phone numbers (a
 * phone number's groups may be separated by any whitespace, a new line too).
 */
export function isGroupCharacter(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || // 0-9
    (code >= 65 && code <= 90) || // A-Z
    code === 40 || // (
    code === 41 || // )
    code === 43 || // +
    code === 45 || // -
    code === 46 || // .
    code === 47 || // /
    isWhitespaceCode(code)
  );
}

/** Whether `text` from `from` to its end (the word being written) could continue a grouped number. */
export function isGrouped(text: string, from: number): boolean {
  for (let index = from; index < text.length; index++)
    if (!isGroupCharacter(text.charCodeAt(index))) return false;
  return true;
}

/**
 * The last clean break at or before `at` in `tail` (which starts at `tailStart`, itself one):
 * a position after whitespace whose previous character is whitespace too or neither a digit,
 * a capital nor a number's separator, or after JSON punctuation but `\`, or after a whole
 * escape (`\n`, `\u00e9`). Looks back at most {@link MAX_BACK} characters; where it finds none,
 * a scan starts there, moved back off the inside of an escape (so it masks as the whole text's
 * scan does).
 */
export function cleanBreakBefore(tail: string, tailStart: number, at: number): number {
  let floor = Math.max(tailStart, at - MAX_BACK);
  // Below `at`, so `tail` holds the character there; at most five steps back.
  while (floor > tailStart && !masksAlike(tail, floor - tailStart)) floor--;
  for (let position = at; position > floor; position--) {
    const index = position - tailStart;
    const code = tail.charCodeAt(index - 1);
    if ((isJsonBreakCode(code) && code !== 92) || endsEscape(tail, index)) return position;
    if (!isWhitespaceCode(code)) continue;
    // Two separators in a row end any number; so does a character no number holds.
    const before = index >= 2 ? tail.charCodeAt(index - 2) : -1;
    if (before === -1 || isWhitespaceCode(before) || !isGroupCharacter(before)) return position;
  }
  return floor;
}
