import { batchEnvShape, commonEnvShape, parseEnvironment, providerEnvShape } from '@llmq/core';
import { z } from 'zod';

/** The API's configuration: the only place it reads `process.env`. */
export const apiEnvSchema = z.object({
  ...commonEnvShape,
  ...providerEnvShape,
  ...batchEnvShape,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /**
   * API keys as `tenant:key` pairs, comma separated. When unset outside production the dev
   * key `llmq-dev-key` (tenant `dev`) is accepted, with a warning at start.
   */
  API_KEYS: z.string().optional(),
  /** Largest accepted request body (bytes, or a size such as `1mb`). */
  BODY_LIMIT: z.string().default('1mb'),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(environment: Record<string, string | undefined> = process.env): ApiEnv {
  return parseEnvironment(apiEnvSchema, environment);
}
