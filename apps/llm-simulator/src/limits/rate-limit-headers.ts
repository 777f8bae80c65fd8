import { formatResetDuration } from './format-reset-duration';

/** A model's rate-limit window as the `x-ratelimit-*` headers describe it. */
export interface RateWindowState {
  /** Requests allowed per window; `null` when requests are not limited. */
  limitRequests: number | null;
  remainingRequests: number;
  /** Milliseconds until a request slot frees up. */
  resetRequestsMs: number;
  /** Tokens allowed per window; `null` when tokens are not limited. */
  limitTokens: number | null;
  remainingTokens: number;
  /** Milliseconds until the tokens in the window drop. */
  resetTokensMs: number;
}

/** Limits announced on an injected 429 for a model that has none configured. */
const NOMINAL_REQUEST_LIMIT = 10_000;
const NOMINAL_TOKEN_LIMIT = 10_000_000;

/** OpenAI's `x-ratelimit-*` headers for the limits that are set. */
export function rateLimitHeaders(state: RateWindowState): Record<string, string> {
  const headers: Record<string, string> = {};
  if (state.limitRequests !== null) {
    headers['x-ratelimit-limit-requests'] = String(state.limitRequests);
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, state.remainingRequests));
    headers['x-ratelimit-reset-requests'] = formatResetDuration(state.resetRequestsMs);
  }
  if (state.limitTokens !== null) {
    headers['x-ratelimit-limit-tokens'] = String(state.limitTokens);
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, state.remainingTokens));
    headers['x-ratelimit-reset-tokens'] = formatResetDuration(state.resetTokensMs);
  }
  return headers;
}

/** `retry-after` (whole seconds, as HTTP wants) and the exact `retry-after-ms`. */
export function retryAfterHeaders(retryAfterMs: number): Record<string, string> {
  return {
    'retry-after': String(Math.ceil(retryAfterMs / 1000)),
    'retry-after-ms': String(Math.round(retryAfterMs)),
  };
}

/**
 * Headers of an injected 429: the model's limits (nominal ones when it has none), nothing
 * remaining, and both windows resetting when `retry-after` says.
 */
export function exhaustedRateLimitHeaders(
  limits: { rpm?: number; tpm?: number },
  retryAfterMs: number,
): Record<string, string> {
  return {
    ...retryAfterHeaders(retryAfterMs),
    ...rateLimitHeaders({
      limitRequests: limits.rpm || NOMINAL_REQUEST_LIMIT,
      remainingRequests: 0,
      resetRequestsMs: retryAfterMs,
      limitTokens: limits.tpm || NOMINAL_TOKEN_LIMIT,
      remainingTokens: 0,
      resetTokensMs: retryAfterMs,
    }),
  };
}
