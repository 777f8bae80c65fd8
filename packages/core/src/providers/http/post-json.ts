import type { Dispatcher } from 'undici';
import type { KeepAlivePool } from './keep-alive-pool';
import {
  type AbortWatch,
  abortError,
  type ProviderResponse,
  ProviderResponseHandler,
  type ResponseHeaders,
} from './provider-response';
import { type WholeAnswer, WholeAnswerHandler } from './whole-answer';

/** Where a POST goes on the account's server: the path and query of its URL. */
export interface PostTarget {
  path: string;
}

/** The target of a URL under the account's base URL (computed once per model and operation). */
export function postTarget(url: URL): PostTarget {
  return { path: `${url.pathname}${url.search}` };
}

export interface PostJsonOptions {
  /** The path (and query) on the account's server (see {@link postTarget}). */
  target: PostTarget;
  /** The JSON body, already serialised. */
  body: string;
  /** Header names unique whatever their case (as {@link mergeHeaders} gives them). */
  headers: Record<string, string>;
  /** The keep-alive pool of the provider account (its origin is the request's). */
  agent: KeepAlivePool;
  /** The call's abort: an `AbortSignal`, or the adapter's `CallSignal` itself (cheaper). */
  signal: AbortWatch;
}

/**
 * Headers with lower-cased names, later sources overriding earlier ones whatever their case
 * (as the SDKs' header merging does), so a configured `Authorization` replaces the default
 * one instead of going out beside it.
 */
export function mergeHeaders(
  ...sources: ReadonlyArray<Record<string, string> | undefined>
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const source of sources) {
    if (source === undefined) continue;
    for (const name of Object.keys(source)) merged[name.toLowerCase()] = source[name] as string;
  }
  return merged;
}

/**
 * POSTs a JSON body and resolves with the response as soon as its headers arrive; the caller
 * reads (or drains) the body. undici's dispatcher with a handler of our own (see
 * `ProviderResponseHandler`): no fetch, no web streams, and about a third less client CPU per
 * call than node:http's request and response. An abort fails the promise or the body,
 * whichever is pending, with an `AbortError`.
 */
export function postJson(options: PostJsonOptions): Promise<ProviderResponse> {
  return dispatchPost(options, ProviderResponseHandler);
}

/**
 * POSTs a JSON body and resolves with the whole answer once its body has arrived (see
 * {@link WholeAnswerHandler}): what a non-streamed call needs, for less JavaScript per call than
 * {@link postJson} and {@link readText}. An abort fails the call with an `AbortError`, as there.
 */
export function postJsonWhole(options: PostJsonOptions): Promise<WholeAnswer> {
  return dispatchPost(options, WholeAnswerHandler);
}

/** Dispatches the POST with a handler of the given class, which settles the promise. */
function dispatchPost<Answer>(
  options: PostJsonOptions,
  Handler: new (
    signal: AbortWatch,
    resolve: (answer: Answer) => void,
    reject: (error: Error) => void,
  ) => Dispatcher.DispatchHandler,
): Promise<Answer> {
  const { signal } = options;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    options.agent.dispatcher.dispatch(
      {
        path: options.target.path,
        method: 'POST',
        headers: options.headers,
        body: options.body,
        // Never sent on a socket with another call in flight (see `KeepAlivePool`).
        blocking: true,
      },
      new Handler(signal, resolve, reject),
    );
  });
}

/**
 * Reads a whole response body as text. Chunks are kept as bytes and decoded once at the end
 * (a character split across chunks decodes whole); a response that closes before its end
 * fails, as reading it with `for await` would.
 */
export function readText(response: ProviderResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => {
      ended = true;
      resolve(
        chunks.length === 1
          ? (chunks[0] as Buffer).toString('utf8')
          : Buffer.concat(chunks).toString('utf8'),
      );
    });
    response.once('error', reject);
    response.once('close', () => {
      if (!ended) reject(response.errored ?? prematureClose());
    });
  });
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/**
 * Reads one response header: undici lower-cases names and gives a repeated header as an array,
 * read here as its values joined with `, ` (see `HeaderReader`), as the SDKs' errors read
 * the same answer through fetch's `Headers`.
 */
export function headerReader(response: {
  readonly headers: ResponseHeaders;
}): (name: string) => string | undefined {
  return (name) => {
    const value = response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}
