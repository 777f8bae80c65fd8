import {
  type ErrorAnswer,
  postJsonOrThrow,
  postJsonWholeOrThrow,
  webHeaders,
} from '../http/error-answer';
import type { KeepAlivePool } from '../http/keep-alive-pool';
import { mergeHeaders, type PostJsonOptions, type PostTarget, postTarget } from '../http/post-json';
import type { AbortWatch, ProviderResponse } from '../http/provider-response';
import type { WholeAnswer } from '../http/whole-answer';
import { openaiSdk } from './openai-sdk';

/** The operations the adapter calls, as paths under the account's base URL. */
export type OpenAIOperation = '/chat/completions' | '/completions' | '/embeddings';

/**
 * How one OpenAI-format account (OpenAI, Azure OpenAI) is reached: where a model's POST goes,
 * the headers every request carries, and the account's keep-alive pool. Made once per account
 * and shared by all its models.
 */
export interface OpenAIEndpoint {
  /** Where `POST {operation}` for this model goes (Azure puts the deployment in the path). */
  target(operation: OpenAIOperation, modelId: string): PostTarget;
  /** Content type, accept and the key's header, then the configured headers; names lower-cased. */
  headers: Record<string, string>;
  agent: KeepAlivePool;
}

export interface OpenAIEndpointOptions {
  /** The base URL without its trailing slashes, e.g. `https://api.openai.com/v1`. */
  baseURL: string;
  /** The key's header, e.g. `{ authorization: 'Bearer …' }` or Azure's `{ 'api-key': … }`. */
  authHeaders: Record<string, string>;
  /** Configured headers; they override the defaults, as the SDK's `defaultHeaders` did. */
  headers?: Record<string, string>;
  /** The URL of an operation for a model (the base URL plus the operation unless given). */
  url?: (operation: OpenAIOperation, modelId: string) => string;
}

/**
 * The endpoint of an account, with the headers the official SDK sends that servers need
 * (`Authorization` or `api-key`, JSON content type and accept) and without its telemetry
 * (`User-Agent: OpenAI/JS …`, `X-Stainless-*`). Targets are parsed once per operation and model.
 */
export function createOpenAIEndpoint(
  options: OpenAIEndpointOptions,
  agent: KeepAlivePool,
): OpenAIEndpoint {
  const url = options.url ?? ((operation) => `${options.baseURL}${operation}`);
  const targets = new Map<string, PostTarget>();
  return {
    target(operation, modelId) {
      const key = `${operation} ${modelId}`;
      let target = targets.get(key);
      if (target === undefined) {
        target = postTarget(new URL(url(operation, modelId)));
        targets.set(key, target);
      }
      return target;
    },
    headers: mergeHeaders(
      { 'content-type': 'application/json', accept: 'application/json' },
      options.authHeaders,
      options.headers,
    ),
    agent,
  };
}

/**
 * POSTs a request body (serialised here) and resolves with a 2xx response as soon as its headers
 * arrive; the caller reads the body. An error answer is read to the end (which frees the socket)
 * and thrown as the SDK's own error class, built as the SDK builds it (`APIError.generate`), so
 * `mapOpenAIError` sees exactly what it saw before. The SDK is loaded only then.
 */
export async function postOpenAI(
  endpoint: OpenAIEndpoint,
  target: PostTarget,
  body: object,
  callHeaders: Record<string, string> | undefined,
  signal: AbortWatch,
): Promise<ProviderResponse> {
  return postJsonOrThrow(
    openAIPost(endpoint, target, body, callHeaders, signal),
    openAIAnswerError,
  );
}

/** The same for a non-streamed call: resolves with a 2xx answer read whole (see `postJsonWhole`). */
export async function postOpenAIWhole(
  endpoint: OpenAIEndpoint,
  target: PostTarget,
  body: object,
  callHeaders: Record<string, string> | undefined,
  signal: AbortWatch,
): Promise<WholeAnswer> {
  return postJsonWholeOrThrow(
    openAIPost(endpoint, target, body, callHeaders, signal),
    openAIAnswerError,
  );
}

/** The POST of a request body (serialised here) to one of the endpoint's paths. */
function openAIPost(
  endpoint: OpenAIEndpoint,
  target: PostTarget,
  body: object,
  callHeaders: Record<string, string> | undefined,
  signal: AbortWatch,
): PostJsonOptions & { callHeaders: Record<string, string> | undefined } {
  return {
    target,
    body: JSON.stringify(body),
    headers: endpoint.headers,
    callHeaders,
    agent: endpoint.agent,
    signal,
  };
}

function openAIAnswerError(answer: ErrorAnswer): Error {
  return openaiSdk().APIError.generate(answer.status, answer.body, answer.message, answer.headers);
}

/**
 * The error of an `error` object sent inside an event stream after a 200: the SDK's `APIError`
 * without a status, as the SDK's stream throws it.
 */
export function openAIStreamError(error: unknown, response: ProviderResponse): Error {
  return new (openaiSdk().APIError)(undefined, error as object, undefined, webHeaders(response));
}
