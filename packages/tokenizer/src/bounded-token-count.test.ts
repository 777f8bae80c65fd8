import { createHash } from 'node:crypto';
import { countTokens, encode } from 'gpt-tokenizer';
import {
  countTextTokens,
  EXACT_WORK_BUDGET,
  estimateTokens,
  headTokens,
  PIECE_LENGTH,
  TokenTally,
} from './bounded-token-count';

const prose =
  'The quick brown fox jumps over the lazy dog. Queues hold work; workers take it, call a ' +
  'provider, and store the answer.\n\n  Indented line with  two  spaces,\ttabs and 12345 digits. ';
const code = 'function add(a, b) {\n  return a + b; // sum\n}\nconst x = add(1, 2);\n';

describe('countTextTokens', () => {
  it('counts prose and code exactly as one whole-text o200k count', () => {
    for (const text of [prose, code, prose.repeat(40), code.repeat(60), '中文的句子，还有标点。']) {
      expect(countTextTokens(text)).toBe(countTokens(text));
    }
  });

  it('counts special-token strings as plain text instead of throwing', () => {
    expect(countTextTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('counts a long run of one character close to a whole count, cut every 32 characters', () => {
    // 4,000 characters: small enough for the whole-text count to be quick here.
    for (const character of ['y', ' ', '!', 'ä', '\n', '7']) {
      const run = character.repeat(4000);
      const whole = countTokens(run);
      const bounded = countTextTokens(run);
      expect(bounded).toBeGreaterThanOrEqual(whole);
      expect(bounded).toBeLessThanOrEqual(whole + Math.ceil(run.length / PIECE_LENGTH));
    }
  });

  it('stays within 1.5% of a whole count on random-looking base64 (runs far longer than a piece)', () => {
    // Fixed bytes (a SHA-256 chain), so the test counts the same text on every run; over 300
    // truly random texts of this size the most seen was +1.13%.
    const text = pseudoRandomBytes(12_000).toString('base64');
    const whole = countTokens(text);
    const bounded = countTextTokens(text);
    expect(bounded).toBeGreaterThanOrEqual(whole);
    expect(bounded).toBeLessThanOrEqual(whole * 1.015);
  });

  it('counts 200,000 repeated letters (the input that held the event loop for 30 s)', () => {
    // o200k has a token for four y's (exact on a short run); the long run keeps that ratio.
    expect(countTokens('y'.repeat(4000))).toBe(1000);
    const count = countTextTokens('y'.repeat(200_000));
    expect(count).toBeGreaterThanOrEqual(49_500);
    expect(count).toBeLessThanOrEqual(50_500);
  });

  it('estimates what lies past the exact-work budget, at no less than the rate seen', () => {
    const text = prose.repeat(Math.ceil((EXACT_WORK_BUDGET * 3) / prose.length));
    const whole = countTokens(text);
    const bounded = countTextTokens(text);
    expect(bounded).toBeGreaterThanOrEqual(whole * 0.98);
    expect(bounded).toBeLessThanOrEqual(whole * 1.35);
  });

  it('shares one budget across the texts of a tally', () => {
    const tally = new TokenTally();
    const big = prose.repeat(Math.ceil(EXACT_WORK_BUDGET / prose.length) + 1);
    tally.count(big);
    // The budget is spent: a text with a known exact count is now estimated instead.
    const shortWord = 'internationalization';
    expect(countTokens(shortWord)).toBe(2);
    expect(estimateTokens(shortWord)).toBe(5);
    expect(tally.count(shortWord)).toBeGreaterThanOrEqual(5);
  });
});

describe('estimateTokens', () => {
  it('estimates prose within -0% / +35% of o200k', () => {
    const text = prose.repeat(20);
    const whole = countTokens(text);
    expect(estimateTokens(text)).toBeGreaterThanOrEqual(whole);
    expect(estimateTokens(text)).toBeLessThanOrEqual(whole * 1.35);
  });

  it('counts one token per non-ASCII character and per surrogate pair', () => {
    expect(estimateTokens('中文')).toBe(2);
    expect(estimateTokens('😀😀')).toBe(2);
  });

  it('counts each run of letters, digits or other ASCII as it always did', () => {
    expect(estimateTokens('abcde12 ,,,x9é😀')).toBe(2 + 1 + 2 + 1 + 1 + 1 + 1);
    // The estimate as first written (one counter per class, flushed by a closure), kept as
    // the oracle of the single-run loop that replaced it.
    const reference = (text: string): number => {
      let tokens = 0;
      let letters = 0;
      let digits = 0;
      let others = 0;
      const flush = (): void => {
        tokens += Math.ceil(letters / 4) + Math.ceil(digits / 3) + Math.ceil(others / 2);
        letters = 0;
        digits = 0;
        others = 0;
      };
      for (let index = 0; index < text.length; index += 1) {
        const code = text.charCodeAt(index);
        if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) {
          if (digits || others) flush();
          letters += 1;
        } else if (code >= 48 && code <= 57) {
          if (letters || others) flush();
          digits += 1;
        } else if (code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x3000) {
          flush();
        } else if (code < 128) {
          if (letters || digits) flush();
          others += 1;
        } else {
          flush();
          if (code < 0xdc00 || code > 0xdfff) tokens += 1;
        }
      }
      flush();
      return tokens;
    };
    const alphabet = [
      'a',
      'Z',
      'q',
      '7',
      '0',
      ' ',
      '\n',
      '\u00a0',
      '{',
      '"',
      ':',
      '中',
      '😀',
      '\ud800',
      '\udc00',
      '\u3000',
    ];
    for (let seed = 1; seed <= 300; seed += 1) {
      let text = '';
      for (let index = 0; index < 200; index += 1) {
        // A hash of (seed, index) picks each character; runs come from repeats.
        const hash = Math.imul(seed * 7_919 + index, 0x9e3779b1) >>> 0;
        text += (alphabet[hash % alphabet.length] as string).repeat(1 + ((hash >>> 8) % 6));
      }
      expect(estimateTokens(text)).toBe(reference(text));
    }
  });
});

describe('headTokens', () => {
  it('keeps the first tokens of a text on a token boundary', () => {
    const tokens = encode(prose);
    expect(headTokens(prose, 10)).toBe(prose.slice(0, headTokens(prose, 10).length));
    expect(encode(headTokens(prose, 10))).toEqual(tokens.slice(0, 10));
    expect(headTokens(prose, 0)).toBe('');
    expect(headTokens(prose, tokens.length + 5)).toBe(prose);
  });

  it('cuts a huge text past the budget by characters, keeping roughly the tokens asked', () => {
    const text = prose.repeat(Math.ceil((EXACT_WORK_BUDGET * 4) / prose.length));
    const limit = Math.floor(countTokens(text) / 2);
    const head = headTokens(text, limit);
    expect(text.startsWith(head)).toBe(true);
    const kept = countTokens(head);
    expect(kept).toBeGreaterThan(limit * 0.95);
    expect(kept).toBeLessThan(limit * 1.05);
  });
});

/** `length` bytes that look random but are the same on every run. */
function pseudoRandomBytes(length: number): Buffer {
  const blocks: Buffer[] = [];
  let block = createHash('sha256').update('llmq bounded-token-count test').digest();
  for (let total = 0; total < length; total += block.length) {
    blocks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(blocks).subarray(0, length);
}
