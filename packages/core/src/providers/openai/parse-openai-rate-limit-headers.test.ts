import {
  parseOpenAIRateLimitHeaders,
  parseOpenAIResetDuration,
} from './parse-openai-rate-limit-headers';

describe('parseOpenAIResetDuration', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['2', 2000],
  ])('%s → %i ms', (text, milliseconds) => {
    expect(parseOpenAIResetDuration(text)).toBe(milliseconds);
  });

  it.each([undefined, null, '', 'soon', '1x', 's1'])('%p → undefined', (text) => {
    expect(parseOpenAIResetDuration(text)).toBeUndefined();
  });
});

describe('parseOpenAIRateLimitHeaders', () => {
  it('reads all four headers', () => {
    const values: Record<string, string> = {
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-tokens': '149000',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    expect(parseOpenAIRateLimitHeaders((name) => values[name])).toEqual({
      remainingRequests: 59,
      remainingTokens: 149_000,
      resetRequestsMs: 1000,
      resetTokensMs: 360_000,
    });
  });

  it('keeps only what is present, and is undefined when nothing is', () => {
    expect(
      parseOpenAIRateLimitHeaders((name) =>
        name === 'x-ratelimit-remaining-requests' ? '3' : null,
      ),
    ).toEqual({
      remainingRequests: 3,
    });
    expect(parseOpenAIRateLimitHeaders(() => null)).toBeUndefined();
  });
});
