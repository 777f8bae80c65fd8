import { CallSignal } from '../call-signal';
import { convertGeminiFinishReason } from './convert-gemini-finish-reason';
import { convertGeminiUsage } from './convert-gemini-usage';
import { mapGeminiError } from './gemini-error';

/** An error shaped as `@google/genai`'s ApiError (identified by name and status). */
function apiError(status: number, message: string): Error {
  const error = new Error(message);
  error.name = 'ApiError';
  Object.assign(error, { status });
  return error;
}

const call = new CallSignal(undefined, 60_000);
afterAll(() => call.dispose());

describe('mapGeminiError', () => {
  it('reads the wait from RetryInfo on a 429, the body message as the message', () => {
    const body = {
      error: {
        code: 429,
        message: 'Resource has been exhausted (e.g. check quota).',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }],
      },
    };
    const error = mapGeminiError(apiError(429, JSON.stringify(body)), {
      provider: 'gemini',
      call,
      phase: 'request',
    });
    expect(error).toMatchObject({
      code: 'rate_limited',
      statusCode: 429,
      retryAfterMs: 1500,
      isRetryable: true,
    });
    expect(error.message).toContain('Resource has been exhausted');
  });

  it('reads an error sent inside a stream, and keeps a 400 final', () => {
    const streamed = mapGeminiError(
      apiError(503, 'got status: UNAVAILABLE. {"error":{"code":503,"message":"busy"}}'),
      { provider: 'gemini', call, phase: 'stream' },
    );
    expect(streamed).toMatchObject({ code: 'overloaded', isRetryable: true });
    expect(streamed.retryAfterMs).toBeUndefined();
    const bad = mapGeminiError(apiError(400, 'not json at all'), {
      provider: 'gemini',
      call,
      phase: 'request',
    });
    expect(bad).toMatchObject({ code: 'bad_request', isRetryable: false });
  });
});

describe('convertGeminiUsage', () => {
  it('adds thoughts to the output and reports cached prompt tokens', () => {
    expect(
      convertGeminiUsage({
        promptTokenCount: 2000,
        cachedContentTokenCount: 1024,
        candidatesTokenCount: 50,
        thoughtsTokenCount: 200,
        totalTokenCount: 2250,
      }),
    ).toEqual({
      inputTokens: 2000,
      outputTokens: 250,
      cachedInputTokens: 1024,
      totalTokens: 2250,
      reasoningTokens: 200,
    });
  });
});

describe('convertGeminiFinishReason', () => {
  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', false, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', true, 'other'],
  ] as const)('maps %s (tool calls: %s) to %s', (reason, calledTools, expected) => {
    expect(convertGeminiFinishReason(reason, calledTools)).toBe(expected);
  });
});
