import { CallSignal } from '../call-signal';
import { mapOpenAIError } from './openai-error';
import { openaiSdk } from './openai-sdk';

// Through the adapter's accessor, as the transport builds them: mapOpenAIError looks the SDK's
// classes up only once something has loaded the SDK that way.
const OpenAI = openaiSdk();

const provider = 'openai-test';

function statusError(status: number, headers: Record<string, string> = {}, body: object = {}) {
  return OpenAI.APIError.generate(
    status,
    { error: { message: 'upstream says no', ...body } },
    undefined,
    new Headers(headers),
  );
}

describe('mapOpenAIError', () => {
  let call: CallSignal;
  beforeEach(() => {
    call = new CallSignal(undefined, 60_000);
  });
  afterEach(() => call.dispose());
  const map = (error: unknown, phase: 'request' | 'stream' = 'request') =>
    mapOpenAIError(error, { provider, call, phase });

  it('maps a 429 with Retry-After and the request id', () => {
    const error = map(
      statusError(429, { 'retry-after-ms': '1200', 'retry-after': '2', 'x-request-id': 'req_1' }),
    );
    expect(error).toMatchObject({
      name: 'ProviderError',
      code: 'rate_limited',
      provider,
      statusCode: 429,
      retryAfterMs: 1200,
      requestId: 'req_1',
      isRetryable: true,
    });
    expect(error.message).toContain('upstream says no');
  });

  it.each([
    [400, 'bad_request', false],
    [401, 'authentication_failed', false],
    [403, 'permission_denied', false],
    [404, 'model_not_found', false],
    [500, 'server_error', true],
    [503, 'overloaded', true],
    [529, 'overloaded', true],
  ] as const)('maps HTTP %i to %s', (status, code, isRetryable) => {
    expect(map(statusError(status))).toMatchObject({ code, statusCode: status, isRetryable });
  });

  it('recognises a content-filter refusal', () => {
    expect(map(statusError(400, {}, { code: 'content_policy_violation' }))).toMatchObject({
      code: 'content_filtered',
      isRetryable: false,
    });
  });

  it('maps connection failures, SDK timeouts and aborts', () => {
    expect(map(new OpenAI.APIConnectionError({ message: 'Connection error.' }))).toMatchObject({
      code: 'connection_error',
      isRetryable: true,
    });
    expect(map(new OpenAI.APIConnectionError({ message: 'reset' }), 'stream').code).toBe(
      'stream_interrupted',
    );
    expect(map(new OpenAI.APIConnectionTimeoutError())).toMatchObject({
      code: 'timeout',
      isRetryable: true,
    });
    expect(map(new OpenAI.APIUserAbortError())).toMatchObject({
      code: 'aborted',
      isRetryable: false,
    });
  });

  it("trusts the call signal over the SDK's account of an abort", () => {
    const controller = new AbortController();
    const aborted = new CallSignal(controller.signal, 60_000);
    controller.abort();
    expect(
      mapOpenAIError(new OpenAI.APIConnectionError({ message: 'x' }), {
        provider,
        call: aborted,
        phase: 'stream',
      }).code,
    ).toBe('aborted');
    aborted.dispose();
  });

  it('maps bad JSON to malformed_response and an error event mid-stream to stream_interrupted', () => {
    expect(map(new SyntaxError('Unexpected token'))).toMatchObject({
      code: 'malformed_response',
      isRetryable: true,
    });
    expect(
      map(new OpenAI.APIError(undefined, { message: 'boom' }, 'boom', undefined), 'stream'),
    ).toMatchObject({
      code: 'stream_interrupted',
      isRetryable: true,
    });
  });

  it('maps a body cut short by undici to a connection error, or stream_interrupted mid-stream', () => {
    const terminated = new TypeError('terminated', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(map(terminated).code).toBe('connection_error');
    expect(map(terminated, 'stream').code).toBe('stream_interrupted');
    expect(map(new Error('a bug')).code).toBe('unknown');
  });
});
