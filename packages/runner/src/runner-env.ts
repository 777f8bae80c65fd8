import {
  cacheEnvShape,
  catalogEnvShape,
  commonEnvShape,
  costEnvShape,
  filterEnvShape,
  providerEnvShape,
  rateLimitEnvShape,
  resilienceEnvShape,
  tracingEnvShape,
} from '@llmq/core';
import { z } from 'zod';

/**
 * The settings a job run needs (Redis, providers, catalog, filters, caches, cost, tracing,
 * resilience, rate limits). The runner reads no `process.env`: each app that runs jobs spreads
 * this shape into its own env schema and parses it in its env.ts.
 */
export const runnerEnvShape = {
  ...commonEnvShape,
  ...providerEnvShape,
  ...filterEnvShape,
  ...cacheEnvShape,
  ...costEnvShape,
  ...tracingEnvShape,
  ...catalogEnvShape,
  ...resilienceEnvShape,
  ...rateLimitEnvShape,
};

const runnerEnvSchema = z.object(runnerEnvShape);
/** The parsed settings of {@link runnerEnvShape}; an app's env type is assignable to it. */
export type RunnerEnv = z.infer<typeof runnerEnvSchema>;
