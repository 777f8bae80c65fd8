import type { HeaderReader } from './header-values';
import {
  codeForStatus,
  ProviderError,
  type ProviderErrorCode,
  parseRetryAfterMs,
} from './provider-error';

export interface StatusErrorDetails {
  provider: string;
  statusCode: number;
  /** The provider's own words, when its error body had any. */
  message?: string;
  /** Reads a response header (case-insensitive), for `retry-after-ms` / `retry-after`. */
  getHeader: HeaderReader;
  requestId?: string;
  /** Overrides the code `codeForStatus` picks (e.g. a 400 that is really a content filter). */
  code?: ProviderErrorCode;
  /** How long to wait when the body says so (Gemini's `RetryInfo`); default: from the headers. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** Builds the ProviderError for an HTTP error answer: code from status, Retry-After in ms. */
export function providerErrorFromStatus(details: StatusErrorDetails): ProviderError {
  const code = details.code ?? codeForStatus(details.statusCode);
  return new ProviderError({
    code,
    message: `${details.provider}: HTTP ${details.statusCode}${details.message ? `: ${details.message}` : ''}`,
    provider: details.provider,
    statusCode: details.statusCode,
    requestId: details.requestId,
    retryAfterMs: details.retryAfterMs ?? parseRetryAfterMs(details.getHeader),
    cause: details.cause,
  });
}
