import { CallSignal } from '../call-signal';
import { mapAnthropicError } from './anthropic-error';
import { anthropicSdk } from './anthropic-sdk';

// Through the adapter's accessor, as the transport builds them: mapAnthropicError looks the
// SDK's classes up only once something has loaded the SDK that way.
const Anthropic = anthropicSdk();

const provider = 'anthropic-test';

function statusError(status: number, type: string, headers: Record<string, string> = {}) {
  return Anthropic.APIError.generate(
    status,
    { type: 'error', error: { type, message: 'upstream says no' } },
    undefined,
    new Headers(headers),
  );
}

describe('mapAnthropicError', () => {
  let call: CallSignal;
  beforeEach(() => {
    call = new CallSignal(undefined, 60_000);
  });
  afterEach(() => call.dispose());
  const map = (error: unknown, phase: 'request' | 'stream' = 'request') =>
    mapAnthropicError(error, { provider, call, phase });

  it('maps 529 to a retryable overloaded', () => {
    expect(map(statusError(529, 'overloaded_error', { 'request-id': 'req_9' }))).toMatchObject({
      code: 'overloaded',
      statusCode: 529,
      isRetryable: true,
      requestId: 'req_9',
    });
  });

  it('maps a 429 with retry-after', () => {
    expect(map(statusError(429, 'rate_limit_error', { 'retry-after': '3' }))).toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 3000,
      isRetryable: true,
    });
  });

  it.each([
    [400, 'invalid_request_error', 'bad_request', false],
    [401, 'authentication_error', 'authentication_failed', false],
    [404, 'not_found_error', 'model_not_found', false],
    [500, 'api_error', 'server_error', true],
    [503, 'api_error', 'overloaded', true],
  ] as const)('maps HTTP %i (%s) to %s', (status, type, code, isRetryable) => {
    expect(map(statusError(status, type))).toMatchObject({ code, isRetryable });
  });

  it('maps an error event inside a stream by its type', () => {
    const overloaded = new Anthropic.APIError(
      undefined,
      { type: 'error', error: { type: 'overloaded_error' } },
      undefined,
      undefined,
      'overloaded_error',
    );
    expect(map(overloaded, 'stream')).toMatchObject({ code: 'overloaded', isRetryable: true });
    const other = new Anthropic.APIError(undefined, undefined, 'odd', undefined);
    expect(map(other, 'stream')).toMatchObject({ code: 'stream_interrupted', isRetryable: true });
  });

  it('maps connection failures, timeouts, aborts and bad JSON', () => {
    expect(map(new Anthropic.APIConnectionError({ message: 'x' })).code).toBe('connection_error');
    expect(map(new Anthropic.APIConnectionTimeoutError()).code).toBe('timeout');
    expect(map(new Anthropic.APIUserAbortError())).toMatchObject({
      code: 'aborted',
      isRetryable: false,
    });
    expect(map(new SyntaxError('bad'))).toMatchObject({ code: 'malformed_response' });
  });
});
