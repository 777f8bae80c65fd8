import type Anthropic from '@anthropic-ai/sdk';
import { postJsonOrThrow, webHeaders } from '../http/error-answer';
import type { KeepAlivePool } from '../http/keep-alive-pool';
import { mergeHeaders, type PostTarget, postTarget } from '../http/post-json';
import type { AbortWatch, ProviderResponse } from '../http/provider-response';
import { anthropicSdk } from './anthropic-sdk';

/** The Messages API version the SDK this adapter was written against sends. */
export const anthropicVersion = '2026-10-21';

/**
 * How one Anthropic account is reached: where `POST /v1/messages` goes, the headers every
 * request carries, and the account's keep-alive pool, shared by all its models.
 */
export interface AnthropicEndpoint {
  target: PostTarget;
  /** Accept, content type, `anthropic-version`, the key, then the configured headers; lower-cased. */
  headers: Record<string, string>;
  agent: KeepAlivePool;
}

/**
 * The endpoint of an account, with the headers the SDK sends that the API needs
 * (`anthropic-version`, the key as `Authorization: Bearer`) and the documented `x-api-key`,
 * which the Messages API (and our simulator) also take: with an `apiKey`, the key goes both
 * ways. Without the SDK's telemetry (`User-Agent`, `X-Stainless-*`). Configured headers come
 * last and override by name (a gateway's `Authorization` replaces the bearer copy; the key still
 * goes in `x-api-key`).
 */
export function createAnthropicEndpoint(
  options: { baseURL: string; apiKey: string | undefined; headers?: Record<string, string> },
  agent: KeepAlivePool,
): AnthropicEndpoint {
  return {
    target: postTarget(new URL(`${options.baseURL}/v1/messages`)),
    headers: mergeHeaders(
      {
        accept: 'application/json',
        'content-type': 'application/json',
        'anthropic-version': anthropicVersion,
      },
      options.apiKey === undefined
        ? undefined
        : { authorization: `Bearer ${options.apiKey}`, 'x-api-key': options.apiKey },
      options.headers,
    ),
    agent,
  };
}

/**
 * POSTs a Messages request and resolves with a 2xx response as soon as its headers arrive. An
 * error answer is read to the end and thrown as the SDK's own error class, built as the SDK
 * builds it (`APIError.generate`), so `mapAnthropicError` sees what it saw before. The SDK is
 * loaded only then.
 */
export async function postAnthropic(
  endpoint: AnthropicEndpoint,
  body: object,
  callHeaders: Record<string, string> | undefined,
  signal: AbortWatch,
): Promise<ProviderResponse> {
  return postJsonOrThrow(
    {
      target: endpoint.target,
      body: JSON.stringify(body),
      headers: endpoint.headers,
      callHeaders,
      agent: endpoint.agent,
      signal,
    },
    (answer) =>
      anthropicSdk().APIError.generate(answer.status, answer.body, answer.message, answer.headers),
  );
}

/**
 * The error of an `event: error` inside a stream after a 200: the SDK's `APIError` without a
 * status, with the body's `error.type`, as the SDK's stream throws it.
 */
export function anthropicStreamError(data: string, response: ProviderResponse): Error {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    body = undefined;
  }
  body ||= data;
  const type = (body as { error?: { type?: unknown } }).error?.type;
  return new (anthropicSdk().APIError)(
    undefined,
    body as object,
    undefined,
    webHeaders(response),
    typeof type === 'string' ? (type as Anthropic.ErrorType) : undefined,
  );
}
