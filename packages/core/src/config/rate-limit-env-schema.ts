import { z } from 'zod';
import type { ProviderRateLimiterOptions } from '../limits/provider-rate-limiter';

/** Tuning of the worker's provider rate limiter (see ProviderRateLimiterOptions). */
export const rateLimitEnvShape = {
  RATE_LIMIT_MAX_SLEEP_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  RATE_LIMIT_WINDOW_MARGIN_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  RATE_LIMIT_ARRIVAL_ALLOWANCE_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  RATE_LIMIT_OUTPUT_TOKENS: z.coerce.number().int().min(0).default(1024),
  RATE_LIMIT_RESERVE_REQUESTS: z.coerce.number().int().min(0).default(0),
  RATE_LIMIT_RESERVE_TOKENS: z.coerce.number().int().min(0).default(0),
};

const rateLimitEnvSchema = z.object(rateLimitEnvShape);
type RateLimitEnv = z.infer<typeof rateLimitEnvSchema>;

export function toRateLimiterOptions(env: RateLimitEnv): ProviderRateLimiterOptions {
  return {
    maxSleepMs: env.RATE_LIMIT_MAX_SLEEP_MS,
    windowMarginMs: env.RATE_LIMIT_WINDOW_MARGIN_MS,
    arrivalAllowanceMs: env.RATE_LIMIT_ARRIVAL_ALLOWANCE_MS,
    defaultOutputTokens: env.RATE_LIMIT_OUTPUT_TOKENS,
    headerReserveRequests: env.RATE_LIMIT_RESERVE_REQUESTS,
    headerReserveTokens: env.RATE_LIMIT_RESERVE_TOKENS,
  };
}
