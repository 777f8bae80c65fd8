import { z } from 'zod';
import { openAICompatiblePresetSchema } from '../providers/openai-compatible/openai-compatible-presets';
import type { ProviderSettings } from './default-catalog';

const optionalSecret = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/**
 * Environment variables every process shares. Apps compose these shapes in their own
 * `env.ts`, the only module of each app that reads the process environment.
 */
export const commonEnvShape = {
  /** Redis URL. */
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key; a `{hash-tag}` prefix makes Redis Cluster work. */
  LLMQ_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]+$/, 'letters, digits, _ . - { } only')
    .default('llmq'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  NODE_ENV: z.string().default('development'),
  /** How long finished jobs stay readable, seconds. */
  RESULT_TTL_SECONDS: z.coerce.number().int().positive().default(86_400),
  /** Attempts per job before it fails. */
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** How long an exact-cache answer is kept, seconds; 0 turns the cache off. */
  CACHE_TTL_SECONDS: z.coerce.number().int().min(0).default(3600),
  /** Model used when a request names none. */
  DEFAULT_MODEL: z.string().min(1).default('sim-gpt-fast'),
  /** Entries kept in each job's event stream (status changes and coalesced token deltas). */
  JOB_EVENTS_MAX_LENGTH: z.coerce.number().int().min(10).default(5000),
  /** How long a finished job's event stream stays readable, seconds. */
  JOB_EVENTS_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
};

/** Provider endpoints and keys. */
export const providerEnvShape = {
  SIMULATOR_URL: z.string().url().default('http://127.0.0.1:4010'),
  OPENAI_API_KEY: optionalSecret,
  OPENAI_BASE_URL: z.string().url().optional(),
  ANTHROPIC_API_KEY: optionalSecret,
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  /**
   * The `max_tokens` llmq sends to Anthropic when a request names no limit (Anthropic requires
   * one); default 4,096. Every Anthropic account made from the environment takes it.
   */
  ANTHROPIC_MAX_TOKENS_DEFAULT: z.coerce.number().int().positive().optional(),
  LOCAL_LLM_BASE_URL: z.string().url().optional(),
  LOCAL_LLM_API_KEY: optionalSecret,
  /** A local server's preset (`vllm`, `ollama`): its default URL and refused fields. */
  LOCAL_LLM_PRESET: openAICompatiblePresetSchema.extract(['vllm', 'ollama']).optional(),
  AZURE_OPENAI_API_KEY: optionalSecret,
  AZURE_OPENAI_ENDPOINT: z.string().url().optional(),
  AZURE_OPENAI_API_VERSION: z.string().min(1).optional(),
  GEMINI_API_KEY: optionalSecret,
  GEMINI_BASE_URL: z.string().url().optional(),
  GROQ_API_KEY: optionalSecret,
  MISTRAL_API_KEY: optionalSecret,
  DEEPSEEK_API_KEY: optionalSecret,
  TOGETHER_API_KEY: optionalSecret,
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
};

const providerEnvSchema = z.object(providerEnvShape);
type ProviderEnv = z.infer<typeof providerEnvSchema>;

export function toProviderSettings(env: ProviderEnv): ProviderSettings {
  return {
    simulatorUrl: env.SIMULATOR_URL,
    openaiApiKey: env.OPENAI_API_KEY,
    openaiBaseUrl: env.OPENAI_BASE_URL,
    anthropicApiKey: env.ANTHROPIC_API_KEY,
    anthropicBaseUrl: env.ANTHROPIC_BASE_URL,
    anthropicMaxTokensDefault: env.ANTHROPIC_MAX_TOKENS_DEFAULT,
    localBaseUrl: env.LOCAL_LLM_BASE_URL,
    localApiKey: env.LOCAL_LLM_API_KEY,
    localPreset: env.LOCAL_LLM_PRESET,
    azureOpenAIApiKey: env.AZURE_OPENAI_API_KEY,
    azureOpenAIEndpoint: env.AZURE_OPENAI_ENDPOINT,
    azureOpenAIApiVersion: env.AZURE_OPENAI_API_VERSION,
    geminiApiKey: env.GEMINI_API_KEY,
    geminiBaseUrl: env.GEMINI_BASE_URL,
    groqApiKey: env.GROQ_API_KEY,
    mistralApiKey: env.MISTRAL_API_KEY,
    deepseekApiKey: env.DEEPSEEK_API_KEY,
    togetherApiKey: env.TOGETHER_API_KEY,
    timeoutMs: env.PROVIDER_TIMEOUT_MS,
  };
}

/**
 * Parses an environment with a zod schema; on failure throws one error whose message names
 * every bad variable and why, so a process fails at start with an actionable line.
 */
export function parseEnvironment<T extends z.ZodType>(
  schema: T,
  environment: Record<string, string | undefined>,
): z.infer<T> {
  const parsed = schema.safeParse(environment);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
  );
  throw new Error(`invalid environment: ${problems.join('; ')}`);
}
