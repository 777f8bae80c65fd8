import {
  batchEnvShape,
  catalogEnvShape,
  commonEnvShape,
  parseEnvironment,
  providerEnvShape,
  tracingEnvShape,
  webhookEnvShape,
} from '@llmq/core';
import { z } from 'zod';

/** The API's configuration: the only place it reads `process.env`. */
export const apiEnvSchema = z.object({
  ...commonEnvShape,
  ...providerEnvShape,
  ...batchEnvShape,
  ...webhookEnvShape,
  ...tracingEnvShape,
  ...catalogEnvShape,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /**
   * API keys as `tenant:key` pairs, comma separated. When unset outside production the dev
   * key `llmq-dev-key` (tenant `dev`) is accepted, with a warning at start.
   */
  API_KEYS: z.string().optional(),
  /** Largest accepted request body (bytes, or a size such as `1mb`). */
  BODY_LIMIT: z.string().default('1mb'),
  /**
   * Bearer token Prometheus must send to read `/metrics`. With `METRICS_PORT` unset, production
   * requires it: the metrics would otherwise be public on the API port.
   */
  METRICS_TOKEN: z.string().min(16).optional(),
  /**
   * Serve `/metrics` on this separate (internal, not published) port instead of the API port;
   * 0 picks a free port.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(environment: Record<string, string | undefined> = process.env): ApiEnv {
  return parseEnvironment(apiEnvSchema, environment);
}
