import { z } from 'zod';
import { cautiousHeaderNumber, type HeaderReader } from './header-values';

/** Codes that are retryable regardless of status (no HTTP answer, or a broken one). */
const retryableCodeList = [
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'connection_error',
  'stream_interrupted',
  'malformed_response',
  /**
   * llmq closed the account's connections itself while the call was under way (a worker
   * shutting down): worth another try elsewhere, and no sign of the provider's health.
   */
  'client_closed',
] as const;

/** Closed set of provider failure codes. Add one here and the compiler shows every switch to update. */
export const providerErrorCodeSchema = z.enum([
  ...retryableCodeList,
  'bad_request',
  'authentication_failed',
  'permission_denied',
  'model_not_found',
  'unprocessable',
  'content_filtered',
  /** The request has a field the model cannot take (refused before any call; see `UnsupportedParameterError`). */
  'unsupported_parameter',
  'aborted',
  'unknown',
]);
export type ProviderErrorCode = z.infer<typeof providerErrorCodeSchema>;

/** Status codes worth another try: timeouts, conflicts, rate limits, server errors (incl. Anthropic 529). */
export function isRetryableStatus(statusCode: number): boolean {
  return statusCode === 408 || statusCode === 409 || statusCode === 429 || statusCode >= 500;
}

/** Maps an HTTP status to the closest provider error code. */
export function codeForStatus(statusCode: number): ProviderErrorCode {
  if (statusCode === 400) return 'bad_request';
  if (statusCode === 401) return 'authentication_failed';
  if (statusCode === 403) return 'permission_denied';
  if (statusCode === 404) return 'model_not_found';
  if (statusCode === 408) return 'timeout';
  if (statusCode === 422) return 'unprocessable';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode === 529 || statusCode === 503) return 'overloaded';
  if (statusCode >= 500) return 'server_error';
  return 'unknown';
}

const retryableCodes: ReadonlySet<ProviderErrorCode> = new Set(retryableCodeList);

export interface ProviderErrorOptions {
  code: ProviderErrorCode;
  message: string;
  provider: string;
  statusCode?: number;
  requestId?: string;
  /** How long the provider asked us to wait (retry-after / retry-after-ms), in milliseconds. */
  retryAfterMs?: number;
  /** Defaults from the code and status: true for 408, 409, 429, 5xx and connection failures. */
  isRetryable?: boolean;
  cause?: unknown;
}

/**
 * The one error type adapters throw. Identify it by `name === 'ProviderError'` (or
 * {@link isProviderError}), not `instanceof`: it is rebuilt from JSON across processes.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly provider: string;
  readonly statusCode?: number;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
  readonly isRetryable: boolean;

  constructor(options: ProviderErrorOptions) {
    super(options.message, { cause: options.cause });
    this.code = options.code;
    this.provider = options.provider;
    this.statusCode = options.statusCode;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
    this.isRetryable =
      options.isRetryable ??
      (retryableCodes.has(options.code) ||
        (options.statusCode !== undefined && isRetryableStatus(options.statusCode)));
  }

  toJSON() {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      statusCode: this.statusCode,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
      isRetryable: this.isRetryable,
    };
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'ProviderError'
  );
}

/**
 * Reads `retry-after-ms` (milliseconds) or `retry-after` (seconds or an HTTP date) from headers.
 * A repeated header (a gateway's beside the provider's) gives the longest of its waits, so the
 * provider sees no request before any of them ran out. Undefined when absent or unparseable.
 */
export function parseRetryAfterMs(
  getHeader: HeaderReader,
  now: number = Date.now(),
): number | undefined {
  const milliseconds = cautiousHeaderNumber(getHeader('retry-after-ms'), parseDelay, 'max');
  if (milliseconds !== undefined) return milliseconds;
  return cautiousHeaderNumber(
    getHeader('retry-after'),
    (member) => {
      const seconds = parseDelay(member);
      if (seconds !== undefined) return seconds * 1000;
      const date = Date.parse(member);
      return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
    },
    'max',
  );
}

/** A non-negative number, or undefined. */
function parseDelay(text: string): number | undefined {
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
