import type { Agent, IncomingMessage, RequestOptions } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface PostJsonOptions {
  /** Host, port, path and protocol, as `urlToHttpOptions` gives them (computed once per provider). */
  target: RequestOptions;
  /** The JSON body, already serialised. */
  body: string;
  headers: Record<string, string>;
  /** The keep-alive agent of the provider (http or https, matching the target). */
  agent: Agent;
  signal: AbortSignal;
}

/**
 * The keep-alive agent of one provider account, shared by all its models; `destroy()` closes
 * its sockets. http or https after the base URL's protocol.
 */
export function createKeepAliveAgent(url: URL, maxSockets = 256): Agent {
  const options = {
    keepAlive: true,
    maxSockets,
    // Reuse the most recently used socket: the busy ones stay warm, the rest can idle out.
    scheduling: 'lifo' as const,
  };
  return url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
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
 * reads (or drains) the body. Plain node:http: no fetch and no web streams on the hot path.
 * An abort destroys the request, failing the promise or the body stream, whichever is pending.
 *
 * The signal is watched here rather than handed to node:http (its `signal` option), which
 * watches the request's end with `finished()` and a handful of listeners per call: one
 * listener on the call's own signal does the same job (the signal is per call, see
 * `CallSignal`, and aborting a request that already ended does nothing).
 */
export function postJson(options: PostJsonOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = options.target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      {
        ...options.target,
        method: 'POST',
        agent: options.agent,
        headers: { ...options.headers, 'content-length': Buffer.byteLength(options.body) },
      },
      resolve,
    );
    // Stays attached after the response arrives, so a late error (abort, reset) is never unhandled.
    request.on('error', reject);
    const { signal } = options;
    const abort = () => request.destroy(abortError(signal));
    if (signal.aborted) abort();
    else {
      signal.addEventListener('abort', abort, { once: true });
      request.once('close', () => signal.removeEventListener('abort', abort));
    }
    request.end(options.body);
  });
}

/** The error an aborted request fails with, as node:http's own `signal` option builds it. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}

/**
 * Reads a whole response body as text. Chunks are kept as bytes and decoded once at the end
 * (a character split across chunks decodes whole); a response that closes before its end
 * fails, as reading it with `for await` would.
 */
export function readText(response: IncomingMessage): Promise<string> {
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

/** Reads one response header; node:http lower-cases names and may give repeated ones as arrays. */
export function headerReader(response: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const value = response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
}
