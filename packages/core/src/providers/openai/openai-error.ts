import type { CallSignal } from '../call-signal';
import { isProviderError, ProviderError } from '../provider-error';
import { providerErrorFromStatus } from '../provider-error-from-status';
import { type CallPhase, providerErrorFromTransport } from '../transport-error';
import { loadedOpenAISdk } from './openai-sdk';

export interface OpenAIErrorContext {
  provider: string;
  call: CallSignal;
  phase: CallPhase;
}

/** OpenAI error codes (`error.code` in the body) that mean the content filter refused. */
const contentFilterCodes: ReadonlySet<string> = new Set([
  'content_filter',
  'content_policy_violation',
]);

/**
 * Turns whatever a call threw (the SDK's error classes for error answers, the transport's errors
 * for broken connections and aborts, a SyntaxError for a body that is not JSON) into a ProviderError.
 *
 * The SDK's error classes set no distinguishing `name`, so they are told apart by class here.
 * They never leave this adapter: what crosses process boundaries is the ProviderError.
 */
export function mapOpenAIError(error: unknown, context: OpenAIErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const { provider, phase } = context;
  // After an abort the SDK reports an abort, a timeout or a broken body depending on timing;
  // the call signal knows which abort it was.
  const abortError = context.call.abortError(provider, error);
  if (abortError) return abortError;
  // An error of the SDK's classes means the SDK is loaded; if it is not, this is no SDK error,
  // and looking its classes up must not load it (a refused connection would cost ~11 MB).
  const OpenAI = loadedOpenAISdk();
  if (OpenAI === undefined) return providerErrorFromTransport(error, provider, phase);

  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ProviderError({
      code: 'timeout',
      message: `${provider}: ${error.message}`,
      provider,
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIUserAbortError) {
    return new ProviderError({
      code: 'aborted',
      message: `${provider}: ${error.message}`,
      provider,
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    // The transport's error is its cause; whatever it is, the connection failed.
    return providerErrorFromTransport(error, provider, phase, 'connection_error');
  }
  if (error instanceof OpenAI.APIError) {
    if (error.status === undefined) {
      // An `error` object sent inside the event stream, after a 200.
      return new ProviderError({
        code: 'stream_interrupted',
        message: `${provider}: the stream reported an error: ${error.message}`,
        provider,
        requestId: error.requestID ?? undefined,
        cause: error,
      });
    }
    const headers = error.headers;
    return providerErrorFromStatus({
      provider,
      statusCode: error.status,
      message: bodyMessage(error.error) ?? error.message,
      getHeader: (name) => headers?.get(name),
      requestId: error.requestID ?? undefined,
      code: error.code && contentFilterCodes.has(error.code) ? 'content_filtered' : undefined,
      cause: error,
    });
  }
  return providerErrorFromTransport(error, provider, phase);
}

/** The `message` of an OpenAI error body (`{ error: { message } }`, already unwrapped by the SDK). */
function bodyMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}
