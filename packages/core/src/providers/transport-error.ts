import { ProviderError } from './provider-error';

/** Where a call was when it failed. */
export type CallPhase =
  /** Sending the request and waiting for the complete (non-streamed) answer or the stream's start. */
  | 'request'
  /** Reading a streamed answer: a failure now cuts an answer short. */
  | 'stream';

/**
 * The ProviderError for a failure that is not an HTTP error answer: a body that is not JSON
 * (`malformed_response`), a broken connection (`connection_error`, or `stream_interrupted`
 * mid-stream), or anything else (`unknown`, or `stream_interrupted` mid-stream: a stream
 * that breaks must never look finished).
 */
export function providerErrorFromTransport(
  error: unknown,
  provider: string,
  phase: CallPhase,
): ProviderError {
  const message = (error as { message?: unknown } | null)?.message;
  const detail = typeof message === 'string' ? message : String(error);
  // By name, not instanceof: undici's fetch builds its errors in Node's own realm, which is
  // not the caller's under jest's VM contexts (and the error may have crossed a process).
  if (errorName(error) === 'SyntaxError') {
    return new ProviderError({
      code: 'malformed_response',
      message: `${provider}: the answer was not valid JSON: ${detail}`,
      provider,
      cause: error,
    });
  }
  if (phase === 'stream') {
    return new ProviderError({
      code: 'stream_interrupted',
      message: `${provider}: the stream broke: ${detail}`,
      provider,
      cause: error,
    });
  }
  return new ProviderError({
    code: isConnectionFailure(error) ? 'connection_error' : 'unknown',
    message: `${provider}: ${detail}`,
    provider,
    cause: error,
  });
}

/** Socket-level error codes from node:net, node:http and undici (the provider transport, the SDKs' fetch). */
const connectionErrorCodes: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * True when an error means the connection failed or broke (refused, reset, closed early), as
 * opposed to a bug. undici reports a body cut short as `TypeError: terminated` with the
 * socket error as its cause, so causes are followed (a few levels, in case of a cycle).
 */
export function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && connectionErrorCodes.has(code)) return true;
  if (errorName(error) === 'TypeError' && (error as Error).message === 'terminated') return true;
  return isConnectionFailure((error as { cause?: unknown }).cause, depth + 1);
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}
