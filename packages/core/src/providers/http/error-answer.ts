import type { IncomingMessage } from 'node:http';
import { readText } from './post-json';

/** An HTTP error answer, read the way the official SDKs read one before building their error. */
export interface ErrorAnswer {
  status: number;
  /** The body parsed as JSON, when it parses to something truthy. */
  body: object | undefined;
  /** The body's text when it is not JSON (the SDKs' `message` argument), else undefined. */
  message: string | undefined;
  /** The response headers as a fetch `Headers`, which the SDKs' errors read. */
  headers: Headers;
}

/**
 * Reads an error answer (status >= 400) to the end, which also frees the kept-alive socket, as
 * the OpenAI and Anthropic SDKs do before `APIError.generate(status, body, message, headers)`:
 * the body's JSON when it parses, else its text as the message (a body that cannot be read gives
 * the read error's message).
 */
export async function readErrorAnswer(response: IncomingMessage): Promise<ErrorAnswer> {
  let text: string;
  try {
    text = await readText(response);
  } catch (error) {
    text = error instanceof Error ? error.message : String(error);
  }
  let body: object | undefined;
  try {
    body = JSON.parse(text) as object | undefined;
  } catch {
    body = undefined;
  }
  return {
    status: response.statusCode ?? 0,
    body: body || undefined,
    message: body ? undefined : text,
    headers: webHeaders(response),
  };
}

/** A node:http response's headers as a fetch `Headers` (the SDKs' errors read request ids and Retry-After from it). */
export function webHeaders(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    headers.append(raw[index] as string, raw[index + 1] as string);
  }
  return headers;
}
