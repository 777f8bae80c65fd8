import { providerErrorFromTransport, transportFailureOf } from './transport-error';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('transportFailureOf', () => {
  it.each([
    ['ECONNREFUSED', 'connection_error'],
    ['UND_ERR_SOCKET', 'connection_error'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connection_error'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'connection_error'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_OVERFLOW', 'malformed_response'],
    ['HPE_INVALID_CONSTANT', 'malformed_response'],
    ['UND_ERR_DESTROYED', 'client_closed'],
    ['UND_ERR_CLOSED', 'client_closed'],
  ] as const)('reads %s as %s', (code, failure) => {
    expect(transportFailureOf(withCode(code))).toBe(failure);
    // Wrapped, as undici's fetch and the SDKs wrap the transport's error.
    expect(transportFailureOf(new TypeError('fetch failed', { cause: withCode(code) }))).toBe(
      failure,
    );
  });

  it('leaves a bug or a misuse alone', () => {
    expect(transportFailureOf(withCode('UND_ERR_INVALID_ARG'))).toBeUndefined();
    expect(transportFailureOf(new Error('boom'))).toBeUndefined();
  });
});

describe('providerErrorFromTransport', () => {
  it('calls a pool llmq closed itself client_closed in both phases, other failures by phase', () => {
    for (const phase of ['request', 'stream'] as const) {
      expect(providerErrorFromTransport(withCode('UND_ERR_DESTROYED'), 'p', phase)).toMatchObject({
        code: 'client_closed',
        isRetryable: true,
      });
    }
    expect(providerErrorFromTransport(withCode('UND_ERR_BODY_TIMEOUT'), 'p', 'request').code).toBe(
      'timeout',
    );
    expect(providerErrorFromTransport(withCode('ECONNRESET'), 'p', 'stream').code).toBe(
      'stream_interrupted',
    );
    expect(providerErrorFromTransport(new Error('boom'), 'p', 'request').code).toBe('unknown');
    expect(
      providerErrorFromTransport(new Error('boom'), 'p', 'request', 'connection_error').code,
    ).toBe('connection_error');
  });
});
