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
        signal: options.signal,
      },
      resolve,
    );
    // Stays attached after the response arrives, so a late error (abort, reset) is never unhandled.
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Reads a whole response body as text. */
export async function readText(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response) text += chunk;
  return text;
}

/** Reads one response header; node:http lower-cases names and may give repeated ones as arrays. */
export function headerReader(response: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const value = response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
}
