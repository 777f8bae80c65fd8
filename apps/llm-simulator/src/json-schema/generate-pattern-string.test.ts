import { createSeededRandom } from '../generation/seeded-random';
import { generatePatternString } from './generate-pattern-string';

describe('generatePatternString', () => {
  it.each([
    '^[A-Z]{3}-\\d{4}$',
    '^[a-z0-9._-]+@[a-z]+\\.(com|org)$',
    '^(?:\\+1 )?\\(\\d{3}\\) \\d{3}-\\d{4}$',
    '^[^\\s@]+$',
    '^\\w{2,5}(_v\\d+)?$',
    'ab*c+d?',
    '^[\\u0000-\\uffff]{4}$',
    '^.{1,3}x$',
  ])('draws strings matching %s', (pattern) => {
    for (let seed = 0; seed < 20; seed += 1) {
      const text = generatePatternString(pattern, createSeededRandom(`${pattern}${seed}`));
      expect(text).toBeDefined();
      expect(text).toMatch(new RegExp(pattern, 'u'));
    }
  });

  it('is deterministic for a seed', () => {
    const draw = () => generatePatternString('^[a-z]{8}$', createSeededRandom('same'));
    expect(draw()).toBe(draw());
  });

  it.each([
    ['a lookahead', '^(?=a)a$'],
    ['a backreference', '^(a)\\1$'],
    ['a word boundary', '\\bword\\b'],
    ['a repetition past the cap', '^a{100000}$'],
    ['nested repetitions past the output cap', '^(a{1000}){1000}$'],
    ['an unclosed group', '^(ab$'],
    ['groups nested past the cap', `${'('.repeat(200)}a${')'.repeat(200)}`],
  ])('gives up on %s', (_name, pattern) => {
    expect(generatePatternString(pattern, createSeededRandom('x'))).toBeUndefined();
  });
});
