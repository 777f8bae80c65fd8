import { parseAnthropicRateLimitHeaders } from './parse-anthropic-rate-limit-headers';

describe('parseAnthropicRateLimitHeaders', () => {
  it('reads counts and turns reset instants into milliseconds from now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const values: Record<string, string> = {
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-tokens-remaining': '39000',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:01Z',
      'anthropic-ratelimit-tokens-reset': '2026-01-01T00:01:00Z',
    };
    expect(parseAnthropicRateLimitHeaders((name) => values[name], now)).toEqual({
      remainingRequests: 49,
      remainingTokens: 39_000,
      resetRequestsMs: 1000,
      resetTokensMs: 60_000,
    });
  });

  it('takes what Anthropic leaves out from x-ratelimit-* headers', () => {
    const values: Record<string, string> = {
      'anthropic-ratelimit-requests-remaining': '7',
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-reset-tokens': '2s',
    };
    expect(parseAnthropicRateLimitHeaders((name) => values[name])).toEqual({
      remainingRequests: 7,
      resetTokensMs: 2000,
    });
  });

  it('is undefined without rate-limit headers', () => {
    expect(parseAnthropicRateLimitHeaders(() => undefined)).toBeUndefined();
  });
});
