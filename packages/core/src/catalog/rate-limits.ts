import { z } from 'zod';

/** A minute: what `rpm` and `tpm` count per, unless a window says otherwise. */
export const minuteMs = 60_000;

/**
 * A provider's request and token limits for one model or one provider account, as written in
 * the catalog (`rate_limits` of a model, `provider_limits.<account>` at the top). Every worker
 * shares them through Redis.
 */
export const rateLimitsSchema = z
  .object({
    /** Requests per minute; absent: requests are not limited. */
    rpm: z.number().int().positive().optional(),
    /** Prompt plus completion tokens per minute; absent: tokens are not limited. */
    tpm: z.number().int().positive().optional(),
    /**
     * Length of the sliding window the limits are enforced over, ms (default 60000). A window
     * of `w` admits `floor(rpm × w / 60000)` requests (at least 1), tokens alike: a shorter
     * window also bounds bursts (a provider that limits per second), and lets tests see a
     * limit bind within seconds.
     */
    window_ms: z.number().int().min(100).max(3_600_000).default(minuteMs),
  })
  .strict()
  .refine((limits) => limits.rpm !== undefined || limits.tpm !== undefined, {
    message: 'give rpm, tpm or both',
  });
export type RateLimits = z.infer<typeof rateLimitsSchema>;
export type RateLimitsInput = z.input<typeof rateLimitsSchema>;

/** What a per-minute `limit` allows in one window of `windowMs`; 0 for no limit. */
export function perWindow(limit: number | undefined, windowMs: number): number {
  if (limit === undefined || limit <= 0) return 0;
  return Math.max(1, Math.floor((limit * windowMs) / minuteMs));
}
