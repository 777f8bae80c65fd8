import { isProviderError } from '../providers/provider-error';

/** How one model call is retried. Every field is configurable per deployment (worker env). */
export interface RetryPolicy {
  /** Retries of one model before the chain moves on (env `RETRY_MAX_PER_MODEL`, default 2). */
  maxRetriesPerModel: number;
  /** First backoff ceiling, ms; doubles per retry (env `RETRY_BASE_DELAY_MS`, default 250). */
  baseDelayMs: number;
  /** Largest backoff ceiling, ms (env `RETRY_MAX_DELAY_MS`, default 8000). */
  maxDelayMs: number;
  /**
   * Waits up to this long, ms, happen inside the worker attempt; longer ones (a long
   * Retry-After) park the job in BullMQ's delayed set so it holds no worker slot
   * (env `RETRY_MAX_INLINE_WAIT_MS`, default 2000).
   */
  maxInlineWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxRetriesPerModel: 2,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxInlineWaitMs: 2000,
};

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): a uniform draw in [0, min(max, base·2^retry)], which spreads retries of many
 * workers apart better than equal or no jitter.
 * @param retry 0 for the first retry
 */
export function backoffDelayMs(
  retry: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}

/**
 * The wait before retrying after `error`: the backoff, but never less than the provider's
 * `retry-after` / `retry-after-ms`, so the upstream sees no request before it asked for one.
 */
export function retryDelayMs(
  error: unknown,
  retry: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const backoff = backoffDelayMs(retry, policy, random);
  const retryAfter = isProviderError(error) ? (error.retryAfterMs ?? 0) : 0;
  return Math.max(backoff, Math.ceil(retryAfter));
}

/** Whether another try may help: provider errors say so themselves; anything else does not. */
export function isRetryableError(error: unknown): boolean {
  return isProviderError(error) && error.isRetryable;
}

/**
 * Whether an error speaks about the model's health (counts toward its circuit breaker).
 * Rate limits do not: they are throttling, handled by Retry-After, not an outage. Caller
 * aborts (a losing hedge), calls cut by llmq closing its own connections (`client_closed`, a
 * worker shutting down) and request errors (400) are not the model's fault either.
 */
export function isHealthFailure(error: unknown): boolean {
  if (!isProviderError(error)) return false;
  switch (error.code) {
    case 'overloaded':
    case 'server_error':
    case 'timeout':
    case 'connection_error':
    case 'stream_interrupted':
    case 'malformed_response':
      return true;
    default:
      return false;
  }
}
