import { cautiousHeaderNumber, type HeaderReader, remainingCount } from '../header-values';
import type { RateLimitInfo } from '../language-model';

const durationPartPattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const durationPattern = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;
const millisecondsPerUnit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * Reads an OpenAI reset duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) into milliseconds. A bare
 * number is taken as seconds, as some OpenAI-compatible servers send it. Undefined when absent
 * or unreadable.
 */
export function parseOpenAIResetDuration(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  const trimmed = text.trim();
  const seconds = Number(trimmed);
  if (trimmed !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  if (!durationPattern.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(durationPartPattern)) {
    total += Number(amount) * (millisecondsPerUnit[unit ?? ''] ?? 0);
  }
  return Math.round(total);
}

/** The latest reset a repeated reset header gives (a gateway's limit beside the provider's). */
function resetDuration(value: string | null | undefined): number | undefined {
  return cautiousHeaderNumber(value, parseOpenAIResetDuration, 'max');
}

/**
 * Reads OpenAI's `x-ratelimit-remaining-requests`, `x-ratelimit-remaining-tokens`,
 * `x-ratelimit-reset-requests` and `x-ratelimit-reset-tokens` headers; a repeated one gives its
 * most cautious value (the least left, the latest reset). Undefined when the response carried
 * none of them (most local servers).
 */
export function parseOpenAIRateLimitHeaders(getHeader: HeaderReader): RateLimitInfo | undefined {
  const remainingRequestsHeader = getHeader('x-ratelimit-remaining-requests');
  const remainingTokensHeader = getHeader('x-ratelimit-remaining-tokens');
  const resetRequestsHeader = getHeader('x-ratelimit-reset-requests');
  const resetTokensHeader = getHeader('x-ratelimit-reset-tokens');
  // Most servers but OpenAI's send none: nothing to read, no readers or lists built per call.
  if (
    !remainingRequestsHeader &&
    !remainingTokensHeader &&
    !resetRequestsHeader &&
    !resetTokensHeader
  )
    return undefined;
  const rateLimit: RateLimitInfo = {};
  const remainingRequests = remainingCount(remainingRequestsHeader);
  const remainingTokens = remainingCount(remainingTokensHeader);
  const resetRequestsMs = resetDuration(resetRequestsHeader);
  const resetTokensMs = resetDuration(resetTokensHeader);
  if (remainingRequests !== undefined) rateLimit.remainingRequests = remainingRequests;
  if (remainingTokens !== undefined) rateLimit.remainingTokens = remainingTokens;
  if (resetRequestsMs !== undefined) rateLimit.resetRequestsMs = resetRequestsMs;
  if (resetTokensMs !== undefined) rateLimit.resetTokensMs = resetTokensMs;
  return Object.keys(rateLimit).length > 0 ? rateLimit : undefined;
}
