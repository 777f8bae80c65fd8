import { z } from 'zod';

/** Treats empty variables as unset, so `SIMULATOR_PORT=` falls back to the default. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

const environmentSchema = z.object({
  /** Port to listen on (`SIMULATOR_PORT`). Default 4010; 0 picks a free port. */
  SIMULATOR_PORT: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(0).max(65_535).default(4010),
  ),
  /** Interface to bind (`SIMULATOR_HOST`). Default 127.0.0.1: the control routes have no auth. */
  SIMULATOR_HOST: z.preprocess(unsetIfEmpty, z.string().default('127.0.0.1')),
  /** Path of a JSON file `{models: {...}}` with per-model profile patches (`SIMULATOR_CONFIG`). */
  SIMULATOR_CONFIG: z.preprocess(unsetIfEmpty, z.string().optional()),
});

/** The simulator CLI's settings, from its environment variables. */
export type SimulatorEnvironment = z.infer<typeof environmentSchema>;

/**
 * Parses the simulator's environment variables; the only reader of `process.env`.
 * @throws Error naming each invalid variable.
 */
export function parseEnvironment(
  source: Record<string, string | undefined> = process.env,
): SimulatorEnvironment {
  const parsed = environmentSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`Invalid environment: ${problems.join('; ')}`);
  }
  return parsed.data;
}
