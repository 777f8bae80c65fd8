import type { RateLimitInfo } from '../language-model';
import { parseOpenAIRateLimitHeaders } from '../openai/parse-openai-rate-limit-headers';

function parseCount(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Anthropic sends reset times as RFC 3339 instants; we want milliseconds from now. */
function parseResetInstant(text: string | null | undefined, now: number): number | undefined {
  if (!text) return undefined;
  const instant = Date.parse(text);
  return Number.isFinite(instant) ? Math.max(0, instant - now) : undefined;
}

/**
 * Reads `anthropic-ratelimit-requests-remaining`, `-tokens-remaining`, `-requests-reset` and
 * `-tokens-reset`. Fields Anthropic's headers leave out are taken from OpenAI-style
 * `x-ratelimit-*` headers, which gateways in front of Anthropic (and the llmq simulator)
 * send. Undefined when the response carried none of either.
 */
export function parseAnthropicRateLimitHeaders(
  getHeader: (name: string) => string | null | undefined,
  now: number = Date.now(),
): RateLimitInfo | undefined {
  const rateLimit: RateLimitInfo = { ...parseOpenAIRateLimitHeaders(getHeader) };
  const remainingRequests = parseCount(getHeader('anthropic-ratelimit-requests-remaining'));
  const remainingTokens = parseCount(getHeader('anthropic-ratelimit-tokens-remaining'));
  const resetRequestsMs = parseResetInstant(getHeader('anthropic-ratelimit-requests-reset'), now);
  const resetTokensMs = parseResetInstant(getHeader('anthropic-ratelimit-tokens-reset'), now);
  if (remainingRequests !== undefined) rateLimit.remainingRequests = remainingRequests;
  if (remainingTokens !== undefined) rateLimit.remainingTokens = remainingTokens;
  if (resetRequestsMs !== undefined) rateLimit.resetRequestsMs = resetRequestsMs;
  if (resetTokensMs !== undefined) rateLimit.resetTokensMs = resetTokensMs;
  return Object.keys(rateLimit).length > 0 ? rateLimit : undefined;
}
