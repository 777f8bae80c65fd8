import { z } from 'zod';

/** An empty variable (`LLMQ_API_KEY= llmq …`) counts as unset. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/** The CLI's environment variables; its `--url` and `--api-key` options override them. */
export const cliEnvSchema = z.object({
  /** The llmq API the CLI talks to. */
  LLMQ_URL: z.preprocess(
    unsetIfEmpty,
    z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3000'),
  ),
  /** The key it sends. */
  LLMQ_API_KEY: z.preprocess(unsetIfEmpty, z.string().optional()),
});

/** The CLI's configuration from the environment: the only place the CLI reads `process.env`. */
export interface CliEnv {
  /** `LLMQ_URL`, default `http://127.0.0.1:3000`. */
  url: string;
  /** `LLMQ_API_KEY`. */
  apiKey: string | undefined;
}

/**
 * Parses the CLI's environment; a bad value throws one error naming every bad variable, which
 * the CLI prints before it does anything else.
 */
export function loadCliEnv(environment: Record<string, string | undefined> = process.env): CliEnv {
  const parsed = cliEnvSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
    );
    throw new Error(`invalid environment: ${problems.join('; ')}`);
  }
  return { url: parsed.data.LLMQ_URL, apiKey: parsed.data.LLMQ_API_KEY };
}
