import { z } from 'zod';

/** Unset and empty both mean "not given" (`CHAOS_REPORT= npm run chaos`). */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** A positive whole number with a default: a count of jobs or lines. */
const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every variable a test run reads: the shared Redis (set by `test/global-setup.js`) and the
 * knobs that size the long end-to-end and chaos tests. Test support and tests take their
 * configuration from here (see `testEnv`), so no other test file reads the environment.
 */
export const testEnvSchema = z.object({
  /** The Redis every test shares, each under its own key prefix; `test/global-setup.js` sets it. */
  REDIS_URL: z.string().url().optional(),
  /** A private three-master Redis Cluster for the end-to-end systems (`npm run test:cluster`). */
  LLMQ_TEST_REDIS_CLUSTER_URL: z.string().url().optional(),
  /** Passed on to spawned services and the CLI, so they find the tools a child may run. */
  PATH: z.string().default(''),
  /** `1` runs the long chaos variants and scenarios 3 to 6 (`npm run chaos` sets it). */
  CHAOS_FULL: z
    .enum(['0', '1'])
    .optional()
    .transform((value) => value === '1'),
  /** Jobs in the resilience chaos test (`npm run chaos` sets 1000). */
  CHAOS_JOBS: count(200),
  /** Jobs of the durable-submit chaos scenario when `CHAOS_FULL=1` (CI runs 300). */
  CHAOS_SUBMIT_JOBS: count(3000),
  /** Length of the soak scenario, minutes. */
  CHAOS_SOAK_MINUTES: z.coerce.number().positive().default(10),
  /** File the chaos verdicts are merged into (`npm run chaos`: `bench/results/chaos.json`). */
  CHAOS_REPORT: optionalText,
  /** A run number that keeps several durable-submit runs apart in the chaos report. */
  CHAOS_RUN: optionalText,
  /** Jobs in the two-worker provider rate-limit test. */
  E2E_RATE_LIMIT_JOBS: count(2000),
  /** Lines of the large batch in the batch-scale test. */
  E2E_BATCH_LINES: count(20_000),
  /** Jobs spread over the deployments in the deployments test. */
  E2E_DEPLOYMENT_JOBS: count(400),
  /** Any value prints each hostile request's status and time, and the event-loop delays. */
  HOSTILE_DEBUG: z
    .string()
    .optional()
    .transform((value) => Boolean(value)),
  /** Seed of the API's hostile-input property test (default: from the clock, printed on failure). */
  FC_SEED: z.coerce
    .number()
    .int()
    .default(() => Date.now() % 2 ** 31),
  /** File the admin console browser test saves a screenshot of the console to. */
  LLMQ_SCREENSHOT: optionalText,
  /** File the admin console browser test saves a screenshot of the API reference to. */
  LLMQ_DOCS_SCREENSHOT: optionalText,
});
export type TestEnv = z.infer<typeof testEnvSchema>;

/**
 * Parses a test environment; a bad value throws one error naming every bad variable. (The
 * same shape as core's `parseEnvironment`, not imported: core's own tests use this package.)
 */
export function parseTestEnv(environment: Record<string, string | undefined>): TestEnv {
  const parsed = testEnvSchema.safeParse(environment);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
  );
  throw new Error(`invalid test environment: ${problems.join('; ')}`);
}

/**
 * The test run's environment, parsed on each call: `test/global-setup.js` sets `REDIS_URL`
 * before the tests load, and a call costs microseconds. The only place test support reads
 * `process.env`.
 */
export function testEnv(): TestEnv {
  return parseTestEnv(process.env);
}
