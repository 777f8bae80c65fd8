import type { CallSignal } from '../call-signal';
import { isProviderError, ProviderError, type ProviderErrorCode } from '../provider-error';
import { providerErrorFromStatus } from '../provider-error-from-status';
import { type CallPhase, providerErrorFromTransport } from '../transport-error';
import { loadedAnthropicSdk } from './anthropic-sdk';

export interface AnthropicErrorContext {
  provider: string;
  call: CallSignal;
  phase: CallPhase;
}

/**
 * The code for an `error` event inside a stream (no HTTP status then), from its `error.type`.
 * Anything else mid-stream is `stream_interrupted`.
 */
function codeForStreamErrorType(type: string | null): ProviderErrorCode {
  switch (type) {
    case 'overloaded_error':
      return 'overloaded';
    case 'rate_limit_error':
      return 'rate_limited';
    case 'api_error':
      return 'server_error';
    case 'timeout_error':
      return 'timeout';
    default:
      return 'stream_interrupted';
  }
}

/**
 * Turns whatever a call threw (the SDK's error classes for error answers and `error` events,
 * the transport's errors for broken connections and aborts, a SyntaxError for a body that is not
 * JSON) into a ProviderError.
 * 529 (`overloaded_error`) becomes `overloaded`, retryable.
 *
 * The SDK's error classes set no distinguishing `name`, so they are told apart by class here.
 * They never leave this adapter: what crosses process boundaries is the ProviderError.
 */
export function mapAnthropicError(error: unknown, context: AnthropicErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const { provider, phase } = context;
  const abortError = context.call.abortError(provider, error);
  if (abortError) return abortError;
  // An error of the SDK's classes means the SDK is loaded; if it is not, this is no SDK error,
  // and looking its classes up must not load it (a refused connection would cost ~11 MB).
  const Anthropic = loadedAnthropicSdk();
  if (Anthropic === undefined) return providerErrorFromTransport(error, provider, phase);

  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return new ProviderError({
      code: 'timeout',
      message: `${provider}: ${error.message}`,
      provider,
      cause: error,
    });
  }
  if (error instanceof Anthropic.APIUserAbortError) {
    return new ProviderError({
      code: 'aborted',
      message: `${provider}: ${error.message}`,
      provider,
      cause: error,
    });
  }
  if (error instanceof Anthropic.APIConnectionError) {
    // The transport's error is its cause; whatever it is, the connection failed.
    return providerErrorFromTransport(error, provider, phase, 'connection_error');
  }
  if (error instanceof Anthropic.APIError) {
    if (error.status === undefined) {
      return new ProviderError({
        code: codeForStreamErrorType(error.type),
        message: `${provider}: the stream reported an error: ${error.apiMessage ?? error.message}`,
        provider,
        requestId: error.requestID ?? undefined,
        cause: error,
      });
    }
    const headers = error.headers;
    return providerErrorFromStatus({
      provider,
      statusCode: error.status,
      message: error.apiMessage ?? error.message,
      getHeader: (name) => headers?.get(name),
      requestId: error.requestID ?? undefined,
      cause: error,
    });
  }
  return providerErrorFromTransport(error, provider, phase);
}
