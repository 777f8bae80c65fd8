import { cautiousHeaderNumber, type HeaderReader, remainingCount } from '../header-values';
import type { RateLimitInfo } from '../language-model';
import { parseOpenAIRateLimitHeaders } from '../openai/parse-openai-rate-limit-headers';

/**
 * Anthropic sends reset times as RFC 3339 instants; we want milliseconds from now (the latest
 * of a repeated header's).
 */
function parseResetInstant(value: string | null | undefined, now: number): number | undefined {
  return cautiousHeaderNumber(
    value,
    (member) => {
      const instant = Date.parse(member);
      return Number.isFinite(instant) ? Math.max(0, instant - now) : undefined;
    },
    'max',
  );
}

/**
 * Reads `anthropic-ratelimit-requests-remaining`, `-tokens-remaining`, `-requests-reset` and
 * `-tokens-reset`. Fields Anthropic's headers leave out are taken from OpenAI-style
 * `x-ratelimit-*` headers, which gateways in front of Anthropic (and the llmq simulator)
 * send. A repeated header gives its most cautious value. Undefined when the response carried none of either.
 */
export function parseAnthropicRateLimitHeaders(
  getHeader: HeaderReader,
  now: number = Date.now(),
): RateLimitInfo | undefined {
  const rateLimit: RateLimitInfo = { ...parseOpenAIRateLimitHeaders(getHeader) };
  const remainingRequests = remainingCount(getHeader('anthropic-ratelimit-requests-remaining'));
  const remainingTokens = remainingCount(getHeader('anthropic-ratelimit-tokens-remaining'));
  const resetRequestsMs = parseResetInstant(getHeader('anthropic-ratelimit-requests-reset'), now);
  const resetTokensMs = parseResetInstant(getHeader('anthropic-ratelimit-tokens-reset'), now);
  if (remainingRequests !== undefined) rateLimit.remainingRequests = remainingRequests;
  if (remainingTokens !== undefined) rateLimit.remainingTokens = remainingTokens;
  if (resetRequestsMs !== undefined) rateLimit.resetRequestsMs = resetRequestsMs;
  if (resetTokensMs !== undefined) rateLimit.resetTokensMs = resetTokensMs;
  return Object.keys(rateLimit).length > 0 ? rateLimit : undefined;
}
