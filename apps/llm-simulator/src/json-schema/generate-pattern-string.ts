import { type RandomSource, randomInteger } from '../generation/seeded-random';

/** Most repetitions one quantifier may ask for, and most characters a pattern may produce. */
const MAX_REPEAT = 1_000;
const MAX_OUTPUT = 10_000;
/** Deepest group nesting parsed. */
const MAX_GROUP_DEPTH = 50;
/** Extra repetitions drawn for an open quantifier (`*`, `+`, `{n,}`). */
const OPEN_EXTRA = 2;

const DIGITS = charRange('0', '9');
const WORD = [...charRange('a', 'z'), ...charRange('A', 'Z'), ...DIGITS, '_'];
const PRINTABLE = charRange(' ', '~');

type PatternNode =
  | { kind: 'sequence'; items: PatternNode[] }
  | { kind: 'alternation'; options: PatternNode[] }
  | { kind: 'characters'; candidates: string[] }
  | { kind: 'repeat'; node: PatternNode; min: number; max: number };

/** Thrown for a construct outside the simple subset (lookarounds, backreferences, `\b`, …). */
class UnsupportedPatternError extends Error {}

/**
 * A string matching `pattern` (ECMAScript syntax, as JSON Schema's `pattern`), drawn from
 * `random`, for the simple subset: literals, `.`, escapes `\d \w \s \D \W \S`, `\uXXXX`,
 * `\xXX` and escaped punctuation, classes `[a-z0-9_]` and `[^…]`, groups `(…)` / `(?:…)`, `|`,
 * and the quantifiers `? * + {n} {n,} {n,m}` (lazy or not); `^` and `$` at the ends.
 * `undefined` for a pattern outside that subset, or one that would need more than 10,000
 * characters.
 */
export function generatePatternString(pattern: string, random: RandomSource): string | undefined {
  try {
    const parser = new PatternParser(pattern.replace(/^\^/, '').replace(/(?<!\\)\$$/, ''));
    const node = parser.parseAlternation();
    if (!parser.done()) return undefined;
    const output: string[] = [];
    emit(node, random, output);
    return output.join('');
  } catch (error) {
    if (error instanceof UnsupportedPatternError) return undefined;
    throw error;
  }
}

function emit(node: PatternNode, random: RandomSource, output: string[]): void {
  if (output.length > MAX_OUTPUT) throw new UnsupportedPatternError();
  switch (node.kind) {
    case 'sequence':
      for (const item of node.items) emit(item, random, output);
      return;
    case 'alternation':
      emit(node.options[Math.floor(random() * node.options.length)]!, random, output);
      return;
    case 'characters':
      output.push(node.candidates[Math.floor(random() * node.candidates.length)]!);
      return;
    case 'repeat': {
      const count = randomInteger(random, node.min, node.max);
      for (let index = 0; index < count; index += 1) emit(node.node, random, output);
      return;
    }
    default: {
      const unexpected: never = node;
      throw new Error(`Unknown pattern node ${String(unexpected)}`);
    }
  }
}

class PatternParser {
  #at = 0;
  #depth = 0;

  constructor(private readonly source: string) {}

  done(): boolean {
    return this.#at >= this.source.length;
  }

  parseAlternation(): PatternNode {
    const options = [this.parseSequence()];
    while (this.source[this.#at] === '|') {
      this.#at += 1;
      options.push(this.parseSequence());
    }
    return options.length === 1 ? options[0]! : { kind: 'alternation', options };
  }

  private parseSequence(): PatternNode {
    const items: PatternNode[] = [];
    while (!this.done() && this.source[this.#at] !== '|' && this.source[this.#at] !== ')')
      items.push(this.parseQuantified(this.parseAtom()));
    return { kind: 'sequence', items };
  }

  private parseAtom(): PatternNode {
    const character = this.source[this.#at]!;
    this.#at += 1;
    switch (character) {
      case '(':
        return this.parseGroup();
      case '[':
        return this.parseClass();
      case '.':
        return { kind: 'characters', candidates: WORD };
      case '\\':
        return { kind: 'characters', candidates: this.parseEscape() };
      case '^':
      case '$':
      case '*':
      case '+':
      case '?':
      case '{':
        throw new UnsupportedPatternError();
      default:
        return { kind: 'characters', candidates: [character] };
    }
  }

  private parseGroup(): PatternNode {
    this.#depth += 1;
    if (this.#depth > MAX_GROUP_DEPTH) throw new UnsupportedPatternError();
    if (this.source[this.#at] === '?') {
      if (this.source[this.#at + 1] !== ':') throw new UnsupportedPatternError();
      this.#at += 2;
    }
    const node = this.parseAlternation();
    if (this.source[this.#at] !== ')') throw new UnsupportedPatternError();
    this.#at += 1;
    this.#depth -= 1;
    return node;
  }

  private parseClass(): PatternNode {
    const negated = this.source[this.#at] === '^';
    if (negated) this.#at += 1;
    const members = new Set<string>();
    let first = true;
    while (this.source[this.#at] !== ']' || first) {
      if (this.done()) throw new UnsupportedPatternError();
      first = false;
      const low = this.classMember();
      if (this.source[this.#at] === '-' && this.source[this.#at + 1] !== ']') {
        this.#at += 1;
        const high = this.classMember();
        if (low.length !== 1 || high.length !== 1 || high[0]! < low[0]!)
          throw new UnsupportedPatternError();
        for (const member of rangeMembers(low[0]!, high[0]!)) members.add(member);
      } else for (const member of low) members.add(member);
    }
    this.#at += 1;
    const candidates = negated ? PRINTABLE.filter((member) => !members.has(member)) : [...members];
    if (candidates.length === 0) throw new UnsupportedPatternError();
    return { kind: 'characters', candidates };
  }

  /** One class member: a character, or the characters of an escape. */
  private classMember(): string[] {
    const character = this.source[this.#at]!;
    this.#at += 1;
    return character === '\\' ? this.parseEscape() : [character];
  }

  private parseEscape(): string[] {
    const character = this.source[this.#at];
    this.#at += 1;
    switch (character) {
      case 'd':
        return DIGITS;
      case 'w':
        return WORD;
      case 's':
        return [' '];
      case 'D':
        return PRINTABLE.filter((member) => !DIGITS.includes(member));
      case 'W':
        return PRINTABLE.filter((member) => !WORD.includes(member));
      case 'S':
        return WORD;
      case 't':
        return ['\t'];
      case 'n':
        return ['\n'];
      case 'u':
      case 'x': {
        const digits = character === 'u' ? 4 : 2;
        const hex = this.source.slice(this.#at, this.#at + digits);
        if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(hex)) throw new UnsupportedPatternError();
        this.#at += digits;
        return [String.fromCharCode(Number.parseInt(hex, 16))];
      }
      default:
        // Escaped punctuation stands for itself; letters and digits (\b, \1, \p, …) do not.
        if (character === undefined || /[A-Za-z0-9]/.test(character))
          throw new UnsupportedPatternError();
        return [character];
    }
  }

  private parseQuantified(node: PatternNode): PatternNode {
    const character = this.source[this.#at];
    let bounds: [number, number] | undefined;
    if (character === '?') bounds = [0, 1];
    else if (character === '*') bounds = [0, OPEN_EXTRA];
    else if (character === '+') bounds = [1, 1 + OPEN_EXTRA];
    else if (character === '{') bounds = this.parseBraces();
    if (bounds === undefined) return node;
    if (character !== '{') this.#at += 1;
    if (this.source[this.#at] === '?') this.#at += 1;
    const [min, max] = bounds;
    if (max > MAX_REPEAT || max < min) throw new UnsupportedPatternError();
    return { kind: 'repeat', node, min, max };
  }

  private parseBraces(): [number, number] | undefined {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.#at, this.#at + 24));
    if (match === null) return undefined;
    this.#at += match[0].length;
    const min = Number(match[1]);
    if (match[2] === undefined) return [min, min];
    return [min, match[3] === '' ? min + OPEN_EXTRA : Number(match[3])];
  }
}

function charRange(low: string, high: string): string[] {
  const characters: string[] = [];
  for (let code = low.charCodeAt(0); code <= high.charCodeAt(0); code += 1)
    characters.push(String.fromCharCode(code));
  return characters;
}

/**
 * Enough members of a class range to draw from and to negate: its first 128 characters and its
 * printable ASCII ones, so a wide range like `\u0000-\uffff` costs no more than a short one.
 */
function rangeMembers(low: string, high: string): string[] {
  const first = String.fromCharCode(Math.min(high.charCodeAt(0), low.charCodeAt(0) + 127));
  const printable = PRINTABLE.filter((member) => member >= low && member <= high);
  return [...charRange(low, first), ...printable];
}
