// The benchmarks' one reader of `process.env`: every variable a scenario, the runner or a
// baseline process takes, parsed once with zod. A typo such as `BENCH_MEMORY_JOBS=10k` stops
// the run naming the variable, instead of measuring with NaN.
import { z } from 'zod';

/** An unset or empty variable takes its default. */
const unset = (value) => (value === '' ? undefined : value);
const positiveInteger = z.preprocess(unset, z.coerce.number().int().positive().optional());
const positiveNumber = z.preprocess(unset, z.coerce.number().positive().optional());
const flag = z.preprocess(unset, z.enum(['0', '1']).optional());

const benchSchema = z.object({
  PATH: z.string().default(''),
  REDIS_URL: z.preprocess(unset, z.url().optional()),
  BENCH_QUICK: flag,
  BENCH_PROFILE: flag,
  BENCH_DEBUG: flag,
  BENCH_RUNS: positiveInteger,
  BENCH_DURATION: positiveInteger,
  BENCH_COST_PROMPTS: positiveInteger,
  BENCH_MEMORY_JOBS: positiveInteger,
  BENCH_MEMORY_HEAP_MB: positiveInteger,
  BENCH_GROWTH_DEPTH: positiveInteger,
  BENCH_TIERS_JOBS: positiveInteger,
  BENCH_TIERS_LINES: positiveInteger,
  BENCH_TIERS_FLEX_429: z.preprocess(unset, z.coerce.number().min(0).max(1).optional()),
  BENCH_INGEST_LINES: positiveInteger,
  BENCH_COMPLETE_LINES: positiveInteger,
  BENCH_PIPELINE_RATE: positiveNumber,
  BENCH_PIPELINE_RATES: z.preprocess(
    unset,
    z
      .string()
      .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, 'a comma-separated list of rates, e.g. 1000,200,20')
      .transform((list) => list.split(',').map(Number))
      .optional(),
  ),
  BENCH_DEPLOYMENT_REQUESTS: positiveInteger,
  BENCH_DEPLOYMENT_WINDOWS: positiveInteger,
  BENCH_MICRO_BATCH_LINES: positiveInteger,
});

/** What the baselines (bench/baselines/*.mjs), started by a scenario, are given. */
const baselineSchema = z.object({
  REDIS_URL: z.preprocess(unset, z.url().optional()),
  PORT: z.preprocess(unset, z.coerce.number().int().min(1).max(65_535).optional()),
  BASELINE_MODE: z.enum(['queue', 'constant']).default('queue'),
  BASELINE_QUEUE: z.string().min(1).default('bare'),
  CONCURRENCY: z.preprocess(unset, z.coerce.number().int().positive().default(50)),
});

function parse(schema) {
  const parsed = schema.safeParse(process.env);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    process.stderr.write(
      `bench: ${issue.path.join('.')}=${JSON.stringify(process.env[issue.path[0]])}: ${issue.message}\n`,
    );
  }
  process.exit(2);
}

/** The runner's and the scenarios' variables (parsed on import). */
export const benchEnv = parse(benchSchema);

/** The baseline processes' variables. */
export function baselineEnv() {
  return parse(baselineSchema);
}

/** The whole environment, handed on unread to the scenario processes the runner starts. */
export function inheritedEnv() {
  return process.env;
}
