/** The CLI's configuration from the environment: the only place it reads `process.env`. */
export interface CliEnv {
  /** `LLMQ_URL`, default `http://127.0.0.1:3000`. */
  url: string;
  /** `LLMQ_API_KEY`. */
  apiKey: string | undefined;
}

export function readCliEnv(environment: Record<string, string | undefined> = process.env): CliEnv {
  return {
    url: environment.LLMQ_URL || 'http://127.0.0.1:3000',
    apiKey: environment.LLMQ_API_KEY || undefined,
  };
}
