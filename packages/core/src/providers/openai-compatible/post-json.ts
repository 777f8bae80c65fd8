import type { Agent, IncomingMessage, RequestOptions } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

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
