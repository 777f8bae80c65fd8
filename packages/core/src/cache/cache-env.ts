import { z } from 'zod';
import type { CacheDefaults } from './cache-policy';

/**
 * Cache configuration shared by the API and the worker, besides `CACHE_TTL_SECONDS` (common).
 * The semantic cache runs in the worker and is off unless `SEMANTIC_CACHE_MODEL` names an
 * embedding model; the API reads the rest for the tenants' effective cache policies.
 */
export const cacheEnvShape = {
  /**
   * The embedding model of the semantic cache, `<provider account>/<model>`, e.g.
   * `simulator-openai/sim-embed-small` or `openai/text-embedding-3-small`. Unset or empty: off.
   */
  SEMANTIC_CACHE_MODEL: z
    .preprocess(
      (value) => (value === '' ? undefined : value),
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9._-]*\/\S+$/, 'expected <provider>/<model>')
        .optional(),
    )
    .transform((value) => {
      if (value === undefined) return undefined;
      const slash = value.indexOf('/');
      // The model part may contain slashes itself (`local/BAAI/bge-small-en`).
      return { id: value, provider: value.slice(0, slash), model: value.slice(slash + 1) };
    }),
  /** Cosine similarity a semantic hit needs (tenants and requests may change it). */
  SEMANTIC_CACHE_THRESHOLD: z.coerce.number().min(0.5).max(1).default(0.95),
  /** Semantic entries kept per tenant (or shared namespace) before the oldest are evicted. */
  SEMANTIC_CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(100_000),
  /** Whether multi-turn conversations use the semantic cache by default (whole conversation embedded). */
  SEMANTIC_CACHE_MULTI_TURN: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** How long the embedding call of a semantic lookup may take, ms; past it the lookup misses. */
  SEMANTIC_CACHE_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  /** How long a process caches a tenant's cache policy, ms. */
  CACHE_POLICY_CACHE_MS: z.coerce.number().int().min(0).default(5000),
};

/** The cache defaults from a parsed environment. */
export function toCacheDefaults(env: {
  CACHE_TTL_SECONDS: number;
  SEMANTIC_CACHE_THRESHOLD: number;
  SEMANTIC_CACHE_MAX_ENTRIES: number;
  SEMANTIC_CACHE_MULTI_TURN: boolean;
}): CacheDefaults {
  return {
    ttlSeconds: env.CACHE_TTL_SECONDS,
    semanticThreshold: env.SEMANTIC_CACHE_THRESHOLD,
    semanticMaxEntries: env.SEMANTIC_CACHE_MAX_ENTRIES,
    semanticMultiTurn: env.SEMANTIC_CACHE_MULTI_TURN,
  };
}
