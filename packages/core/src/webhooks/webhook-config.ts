import { z } from 'zod';

const commaList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

/** Svix's schedule after the immediate first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const defaultWebhookRetryDelaysMs = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
];

/** Webhook environment variables, shared by the API and the worker `env.ts`. */
export const webhookEnvShape = {
  /**
   * Allowlist admitting internal webhook receivers past the SSRF guard, comma separated:
   * CIDRs, addresses (optionally `:port`), host names. Empty by default.
   */
  WEBHOOK_ALLOWED_HOSTS: commaList,
  /** Delays before each retry, ms, comma separated; attempts = delays + 1 (default: Svix's). */
  WEBHOOK_RETRY_DELAYS_MS: z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined || value.trim() === '') return defaultWebhookRetryDelaysMs;
      const delays = value.split(',').map((item) => Number(item.trim()));
      if (delays.some((delay) => !Number.isInteger(delay) || delay < 0)) {
        context.addIssue({ code: 'custom', message: 'comma-separated non-negative integers' });
        return z.NEVER;
      }
      return delays;
    }),
  /** Timeout of one webhook POST, ms. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** How long a rotated-out secret keeps signing, seconds. */
  WEBHOOK_SECRET_ROTATION_SECONDS: z.coerce.number().int().min(0).default(86_400),
  /** How long delivery logs are kept, seconds. */
  WEBHOOK_LOG_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(7 * 86_400),
};

/** The delay before retry number `attemptsMade` (1-based), from a schedule; last one repeats. */
export function webhookRetryDelay(delays: readonly number[], attemptsMade: number): number {
  if (delays.length === 0) return 0;
  return delays[Math.min(Math.max(attemptsMade, 1), delays.length) - 1] ?? 0;
}
