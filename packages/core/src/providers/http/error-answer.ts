import { mergeHeaders, type PostJsonOptions, postJson, postJsonWhole, readText } from './post-json';
import type { ProviderResponse, ResponseHeaders } from './provider-response';
import type { WholeAnswer } from './whole-answer';

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
export async function readErrorAnswer(response: ProviderResponse): Promise<ErrorAnswer> {
  let text: string;
  try {
    text = await readText(response);
  } catch (error) {
    text = error instanceof Error ? error.message : String(error);
  }
  return errorAnswerFrom(response.statusCode, text, response);
}

/** The same for an answer read whole (see `postJsonWhole`): a body that failed gives its error's message. */
export function errorAnswerOf(answer: WholeAnswer): ErrorAnswer {
  return errorAnswerFrom(
    answer.statusCode,
    answer.bodyError === undefined ? answer.text : answer.bodyError.message,
    answer,
  );
}

function errorAnswerFrom(
  status: number,
  text: string,
  response: { readonly headers: ResponseHeaders },
): ErrorAnswer {
  let body: object | undefined;
  try {
    body = JSON.parse(text) as object | undefined;
  } catch {
    body = undefined;
  }
  return {
    status,
    body: body || undefined,
    message: body ? undefined : text,
    headers: webHeaders(response),
  };
}

/** A response's headers as a fetch `Headers` (the SDKs' errors read request ids and Retry-After from it). */
export function webHeaders(response: { readonly headers: ResponseHeaders }): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') headers.append(name, value);
    else if (value !== undefined) for (const each of value) headers.append(name, each);
  }
  return headers;
}

/**
 * POSTs a request (see `postJson`) and resolves with a response below 400 as soon as its headers
 * arrive; the caller reads the body. An error answer is read to the end (which frees the socket)
 * and thrown as `toError` builds it: the adapters build their SDK's own error class from it.
 * `callHeaders`, when given, are merged over the endpoint's `headers`.
 */
export async function postJsonOrThrow(
  options: PostJsonOptions & { callHeaders: Record<string, string> | undefined },
  toError: (answer: ErrorAnswer) => Error,
): Promise<ProviderResponse> {
  const response = await postJson(withCallHeaders(options));
  if (response.statusCode < 400) return response;
  throw toError(await readErrorAnswer(response));
}

/**
 * The same for a non-streamed call: resolves with an answer below 400 read whole (see
 * `postJsonWhole`); an error answer is thrown as `toError` builds it.
 */
export async function postJsonWholeOrThrow(
  options: PostJsonOptions & { callHeaders: Record<string, string> | undefined },
  toError: (answer: ErrorAnswer) => Error,
): Promise<WholeAnswer> {
  const answer = await postJsonWhole(withCallHeaders(options));
  if (answer.statusCode < 400) return answer;
  throw toError(errorAnswerOf(answer));
}

function withCallHeaders(
  options: PostJsonOptions & { callHeaders: Record<string, string> | undefined },
): PostJsonOptions {
  const { callHeaders } = options;
  // Listed rather than a rest copy and a spread of it (~0.3 µs more on every call).
  return callHeaders === undefined
    ? options
    : {
        target: options.target,
        body: options.body,
        headers: mergeHeaders(options.headers, callHeaders),
        agent: options.agent,
        signal: options.signal,
      };
}
