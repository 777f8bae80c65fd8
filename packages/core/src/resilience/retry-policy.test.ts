import { ProviderError } from '../providers/provider-error';
import { backoffDelayMs, isHealthFailure, isRetryableError, retryDelayMs } from './retry-policy';

const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

describe('retry policy', () => {
  it('draws full-jitter backoff under a doubling, capped ceiling', () => {
    expect(backoffDelayMs(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });

  it('never waits less than the retry-after the provider sent', () => {
    const limited = new ProviderError({
      code: 'rate_limited',
      message: 'slow down',
      provider: 'p',
      statusCode: 429,
      retryAfterMs: 1500,
    });
    expect(retryDelayMs(limited, 0, policy, () => 0.5)).toBe(1500);
    const server = new ProviderError({
      code: 'server_error',
      message: 'x',
      provider: 'p',
      statusCode: 500,
    });
    expect(retryDelayMs(server, 1, policy, () => 0.5)).toBe(100);
  });

  it('classifies retryable and final errors', () => {
    const make = (statusCode: number) =>
      new ProviderError({ code: 'unknown', message: 'x', provider: 'p', statusCode });
    for (const status of [408, 409, 429, 500, 502, 503, 529])
      expect(isRetryableError(make(status))).toBe(true);
    for (const status of [400, 401, 403, 404, 422])
      expect(isRetryableError(make(status))).toBe(false);
    const refusal = new ProviderError({ code: 'content_filtered', message: 'no', provider: 'p' });
    expect(isRetryableError(refusal)).toBe(false);
    expect(isRetryableError(new Error('bug'))).toBe(false);
  });

  it('counts outages, not rate limits or aborts, toward the circuit', () => {
    const of = (code: ConstructorParameters<typeof ProviderError>[0]['code']) =>
      new ProviderError({ code, message: 'x', provider: 'p' });
    expect(isHealthFailure(of('server_error'))).toBe(true);
    expect(isHealthFailure(of('timeout'))).toBe(true);
    expect(isHealthFailure(of('rate_limited'))).toBe(false);
    expect(isHealthFailure(of('aborted'))).toBe(false);
    expect(isHealthFailure(of('bad_request'))).toBe(false);
  });
});
