/**
 * JSON string escapes, as the detectors read them. In JSON text (a tool call's arguments, a
 * structured output, a provider's error body) a new line is the two characters `\` `n`: a card,
 * a key or an address written right after it followed a letter, and the patterns' word
 * boundaries and look-behinds (`\b`, `(?<![A-Za-z0-9_-])`) found nothing there, so a model
 * could leak a secret past a redact or block policy by writing it after `\n`.
 *
 * The detectors therefore scan a *masked* copy of the text, of the same length (offsets are
 * the text's own): each letter of an escape after a backslash (`\b \f \n \r \t`, and the
 * `uXXXX` of `\uXXXX`) reads as `\`, a character no detector's pattern holds but a PEM block's
 * and a prompt-injection phrase's "any character". `\"`, `\\` and `\/` need nothing: `"`, `\`
 * and `/` already hold no match. So an escape reads as a separator: a match may start right
 * after one (as after a real new line, tab or quote), none runs through one, and none starts
 * or ends inside one, so a redaction never cuts an escape and redacted JSON stays JSON.
 *
 * Decisions (docs/security.md, "JSON escapes"):
 * - Every backslash counts, whatever comes before it: in `\\n4111…` (an escaped backslash,
 *   then the letter n) the `n` is masked too. JSON written inside a JSON string (a tool's
 *   payload, double-encoded arguments) writes a new line as `\\n`, and a number glued to a
 *   literal backslash-n is still that number; the cost is redacting a checksum-valid number or
 *   a key shape right after `\n`, `\t` … read literally, which prose without backslashes never
 *   meets (`nonce4111…` is unchanged).
 * - A `\uXXXX` is a separator whatever it decodes to: the detectors do not decode, so a number
 *   or key written with its own characters escaped (`\u0034\u0031…`) is not found, as before.
 */

/** Whether a character code is a hex digit. */
function isHexCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/** Whether a character code is the letter of a one-letter escape masked: `b f n r t`. */
function isEscapeLetterCode(code: number): boolean {
  return code === 98 || code === 102 || code === 110 || code === 114 || code === 116;
}

/**
 * How many characters after the backslash at `at` are masked: 1 for `\b \f \n \r \t`, 5 for a
 * complete `\uXXXX`, 0 otherwise (`\"`, `\\`, `\/`, an unknown or cut-off escape).
 */
export function maskedAfterBackslash(text: string, at: number): number {
  const code = text.charCodeAt(at + 1);
  if (isEscapeLetterCode(code)) return 1;
  if (code !== 117 || at + 5 >= text.length) return 0;
  for (let index = at + 2; index <= at + 5; index++)
    if (!isHexCode(text.charCodeAt(index))) return 0;
  return 5;
}

/**
 * `text` with the letters of every JSON escape read as backslashes (see above), the same
 * length; `text` itself when it holds no backslash. One pass.
 */
export function maskJsonEscapes(text: string): string {
  let at = text.indexOf('\\');
  if (at === -1) return text;
  // Concatenation, not pieces joined: V8 builds a rope the first regex flattens once. On a
  // 1.4 KB text with 59 escapes: mask and one scan ~30% cheaper, a whole `detect` ~15%.
  let masked = '';
  let copied = 0;
  while (at !== -1) {
    const length = maskedAfterBackslash(text, at);
    if (length > 0) {
      masked += text.slice(copied, at + 1) + (length === 1 ? '\\' : '\\\\\\\\\\');
      copied = at + 1 + length;
    }
    // Hex digits and escape letters hold no backslash: the next one is after the escape.
    at = text.indexOf('\\', at + 1 + length);
  }
  return masked + text.slice(copied);
}

/**
 * Whether `position` in `text` is where a scan of `text.slice(position)` masks as the whole
 * text does: not between a backslash and an escape letter, nor inside a `\uXXXX`. Reads
 * `text[position]`, so `position` must be below `text.length`.
 */
export function masksAlike(text: string, position: number): boolean {
  for (let back = 1; back <= 5 && position - back >= 0; back++) {
    if (text.charCodeAt(position - back) !== 92) continue;
    return maskedAfterBackslash(text, position - back) < back;
  }
  return true;
}

/**
 * Whether `text` before `position` ends with a one-letter escape masked (`\n`, `\t` …) or a
 * complete `\uXXXX`: in the masked text the character before `position` is a backslash.
 */
export function endsEscape(text: string, position: number): boolean {
  if (position >= 2 && text.charCodeAt(position - 2) === 92)
    return isEscapeLetterCode(text.charCodeAt(position - 1));
  return (
    position >= 6 &&
    text.charCodeAt(position - 6) === 92 &&
    maskedAfterBackslash(text, position - 6) === 5
  );
}
