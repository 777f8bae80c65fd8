import {
  codeForStatus,
  isProviderError,
  isRetryableStatus,
  ProviderError,
  parseRetryAfterMs,
} from './provider-error';

const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('parseRetryAfterMs', () => {
  it('prefers retry-after-ms', () => {
    expect(parseRetryAfterMs(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1500);
  });

  it('reads retry-after in seconds, fractions included', () => {
    expect(parseRetryAfterMs(headers({ 'retry-after': '2' }))).toBe(2000);
    expect(parseRetryAfterMs(headers({ 'retry-after': '0.25' }))).toBe(250);
  });

  it('reads retry-after as an HTTP date, never negative', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(
      parseRetryAfterMs(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now),
    ).toBe(5000);
    expect(
      parseRetryAfterMs(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }), now),
    ).toBe(0);
  });

  it('falls back to retry-after when retry-after-ms is unreadable', () => {
    expect(parseRetryAfterMs(headers({ 'retry-after-ms': 'soon', 'retry-after': '3' }))).toBe(3000);
  });

  it('reads a repeated header (joined with commas) as its longest wait, HTTP dates included', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const repeated = 'Thu, 01 Jan 2026 00:00:05 GMT, 2, Wed, 31 Dec 2025 23:59:00 GMT';
    expect(parseRetryAfterMs(headers({ 'retry-after': repeated }), now)).toBe(5000);
    expect(parseRetryAfterMs(headers({ 'retry-after': '1, 3' }), now)).toBe(3000);
    expect(parseRetryAfterMs(headers({ 'retry-after-ms': '1000, soon, 250' }), now)).toBe(1000);
  });

  it('gives undefined when absent or unreadable', () => {
    expect(parseRetryAfterMs(headers({}))).toBeUndefined();
    expect(parseRetryAfterMs(headers({ 'retry-after': 'later' }))).toBeUndefined();
  });
});

describe('codeForStatus and isRetryableStatus', () => {
  it.each([
    [400, 'bad_request', false],
    [401, 'authentication_failed', false],
    [403, 'permission_denied', false],
    [404, 'model_not_found', false],
    [408, 'timeout', true],
    [409, 'unknown', true],
    [422, 'unprocessable', false],
    [429, 'rate_limited', true],
    [500, 'server_error', true],
    [502, 'server_error', true],
    [503, 'overloaded', true],
    [529, 'overloaded', true],
  ] as const)('%i → %s (retryable: %s)', (status, code, retryable) => {
    expect(codeForStatus(status)).toBe(code);
    expect(isRetryableStatus(status)).toBe(retryable);
    expect(
      new ProviderError({ code, message: 'x', provider: 'p', statusCode: status }).isRetryable,
    ).toBe(retryable);
  });
});

describe('ProviderError', () => {
  it('derives retryability from the code when there is no status', () => {
    const retryable = [
      'timeout',
      'connection_error',
      'stream_interrupted',
      'malformed_response',
    ] as const;
    for (const code of retryable) {
      expect(new ProviderError({ code, message: 'x', provider: 'p' }).isRetryable).toBe(true);
    }
    expect(new ProviderError({ code: 'aborted', message: 'x', provider: 'p' }).isRetryable).toBe(
      false,
    );
  });

  it('is recognised by name after a JSON round trip', () => {
    const error = new ProviderError({
      code: 'rate_limited',
      message: 'slow down',
      provider: 'p',
      statusCode: 429,
      retryAfterMs: 1000,
    });
    const revived: unknown = JSON.parse(JSON.stringify(error));
    expect(isProviderError(revived)).toBe(true);
    expect(revived).toMatchObject({
      code: 'rate_limited',
      statusCode: 429,
      retryAfterMs: 1000,
      isRetryable: true,
    });
    expect(isProviderError(new Error('x'))).toBe(false);
  });
});
