import { countTokens, encode } from 'gpt-tokenizer';
import { countTextTokens, encodeHead, encodeText } from './count-tokens';

describe('simulator token counting', () => {
  const prose = 'The simulator counts prompts as a provider would, without stalling.\n';

  it('counts prose exactly as a whole-text o200k count', () => {
    expect(countTextTokens(prose.repeat(30))).toBe(countTokens(prose.repeat(30)));
    expect(encodeText(prose)).toEqual(encode(prose));
  });

  it('counts a 200,000-character run of one letter at o200k’s four letters a token', () => {
    expect(countTokens('y'.repeat(4000))).toBe(1000);
    const count = countTextTokens('y'.repeat(200_000));
    expect(count).toBeGreaterThanOrEqual(49_500);
    expect(count).toBeLessThanOrEqual(50_500);
  });

  it('encodes only the head it is asked for', () => {
    expect(encodeHead(prose.repeat(100), 7)).toEqual(encode(prose).slice(0, 7));
  });
});
