import { ProviderError, type ProviderErrorCode } from './provider-error';

/** Where a call was when it failed. */
export type CallPhase =
  /** Sending the request and waiting for the complete (non-streamed) answer or the stream's start. */
  | 'request'
  /** Reading a streamed answer: a failure now cuts an answer short. */
  | 'stream';

/** What a failure without an HTTP answer says about the call (a subset of the provider codes). */
export type TransportFailure = Extract<
  ProviderErrorCode,
  'connection_error' | 'timeout' | 'client_closed' | 'malformed_response'
>;

/**
 * The one table of transport error codes: node:net and node:dns (the SDKs' fetch, node:http
 * before session 11), node's stream and undici (the provider transport's `Pool`). A code not
 * listed is a bug or a misuse (`UND_ERR_INVALID_ARG`, a request body of the wrong length) and
 * stays `unknown`. Aborts are not here: the call's `CallSignal` says which abort it was.
 */
const transportFailureByCode: ReadonlyMap<string, TransportFailure> = new Map([
  // The connection could not be made, or broke: nothing or only part of an answer came back.
  ['ECONNRESET', 'connection_error'],
  ['ECONNREFUSED', 'connection_error'],
  ['ECONNABORTED', 'connection_error'],
  ['EPIPE', 'connection_error'],
  ['ETIMEDOUT', 'connection_error'],
  ['ENOTFOUND', 'connection_error'],
  ['EAI_AGAIN', 'connection_error'],
  ['EHOSTUNREACH', 'connection_error'],
  ['ENETUNREACH', 'connection_error'],
  ['ERR_STREAM_PREMATURE_CLOSE', 'connection_error'],
  ['UND_ERR_SOCKET', 'connection_error'],
  // No connection (TCP and TLS) within undici's connect timeout (10 s): the server is out of reach.
  ['UND_ERR_CONNECT_TIMEOUT', 'connection_error'],
  // A body shorter than its content-length: the connection ended early.
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'connection_error'],
  // undici's own header and body timeouts (off in `KeepAlivePool`: the call's signal bounds it).
  ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
  ['UND_ERR_BODY_TIMEOUT', 'timeout'],
  // Headers larger than undici takes: the server's answer is broken, as a parser error is.
  ['UND_ERR_HEADERS_OVERFLOW', 'malformed_response'],
  // llmq closed the account's pool itself (`Provider.close`, at shutdown): not the server's doing.
  ['UND_ERR_DESTROYED', 'client_closed'],
  ['UND_ERR_CLOSED', 'client_closed'],
]);

/**
 * What a transport error means for the call, or undefined for anything else (a bug). undici's
 * fetch reports a body cut short as `TypeError: terminated` with the socket error as its cause,
 * and the SDKs wrap errors in their own, so causes are followed (a few levels, in case of a
 * cycle). An HTTP parser error (`HPE_*`, from undici or node:http) is a malformed answer.
 */
export function transportFailureOf(error: unknown, depth = 0): TransportFailure | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    const failure = transportFailureByCode.get(code);
    if (failure !== undefined) return failure;
    if (code.startsWith('HPE_')) return 'malformed_response';
  }
  const cause = transportFailureOf((error as { cause?: unknown }).cause, depth + 1);
  if (cause !== undefined) return cause;
  if (errorName(error) === 'TypeError' && (error as Error).message === 'terminated') {
    return 'connection_error';
  }
  return undefined;
}

/** True when an error means the connection failed or broke (refused, reset, closed early). */
export function isConnectionFailure(error: unknown): boolean {
  return transportFailureOf(error) === 'connection_error';
}

/**
 * The ProviderError for a failure that is not an HTTP error answer: a body that is not JSON
 * (`malformed_response`), a broken connection (`connection_error`), a transport timeout
 * (`timeout`), the account's connections closed by llmq itself (`client_closed`, whatever the
 * phase: it says nothing about the provider), or anything else (`unknown`, or `fallback` when
 * the caller knows it was a connection failure). Mid-stream every failure but `client_closed`
 * is `stream_interrupted`: a stream that breaks must never look finished.
 */
export function providerErrorFromTransport(
  error: unknown,
  provider: string,
  phase: CallPhase,
  fallback: 'unknown' | 'connection_error' = 'unknown',
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
  const failure = transportFailureOf(error);
  if (failure === 'client_closed') {
    return new ProviderError({
      code: 'client_closed',
      message: `${provider}: the call was cut because llmq closed its connections to the provider (${detail})`,
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
    code: failure ?? fallback,
    message: `${provider}: ${detail}`,
    provider,
    cause: error,
  });
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}
