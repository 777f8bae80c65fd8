import { z } from 'zod';

const maxTtlSeconds = 30 * 86_400;
const namespaceSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64)');

/**
 * A tenant's cache policy (`PUT /v1/admin/tenants/:tenant/cache-policy`): overrides of the
 * configured defaults for the exact and the semantic cache. A field left out takes the default.
 */
export const cachePolicySchema = z
  .object({
    /** How long entries of this tenant are kept, seconds; 0 turns both caches off for it. */
    ttl_seconds: z.number().int().min(0).max(maxTtlSeconds).optional(),
    /**
     * Share cached answers with every tenant whose policy names the same namespace. Without it
     * a tenant's caches are its own: entries never cross tenants.
     */
    shared_namespace: namespaceSchema.optional(),
    /** Whether the semantic cache is used for this tenant (when one is configured). Default true. */
    semantic: z.boolean().optional(),
    /** Cosine similarity a semantic hit needs (env `SEMANTIC_CACHE_THRESHOLD`). */
    semantic_threshold: z.number().min(0.5).max(1).optional(),
    /** Semantic entries kept for this tenant (or namespace) before the oldest are evicted. */
    semantic_max_entries: z.number().int().min(1).max(10_000_000).optional(),
    /**
     * Let multi-turn conversations use the semantic cache, embedding the whole conversation
     * (default false: only single-turn prompts, where a paraphrase means the same request).
     */
    semantic_multi_turn: z.boolean().optional(),
  })
  .strict();
export type CachePolicy = z.infer<typeof cachePolicySchema>;

/**
 * Per-request cache options (`cache_options` on `POST /v1/jobs`): they may shorten the TTL or
 * change the similarity threshold for this request, never lengthen the tenant's TTL.
 */
export const cacheRequestOptionsSchema = z
  .object({
    /** How long this answer is kept, seconds; capped by the tenant's TTL. */
    ttl_seconds: z.number().int().min(1).max(maxTtlSeconds).optional(),
    /** Cosine similarity a semantic hit needs for this request. */
    similarity_threshold: z.number().min(0.5).max(1).optional(),
    /** false: skip the semantic cache for this request (the exact cache still applies). */
    semantic: z.boolean().optional(),
  })
  .strict();
export type CacheRequestOptions = z.infer<typeof cacheRequestOptionsSchema>;

/** Whose entries a cache reads and writes: a tenant's own, or a namespace tenants opted into. */
export type CacheOwner = { kind: 'tenant'; id: string } | { kind: 'namespace'; id: string };

/** The configured defaults a tenant policy overrides. */
export interface CacheDefaults {
  /** Env `CACHE_TTL_SECONDS` (0: caches off). */
  ttlSeconds: number;
  /** Env `SEMANTIC_CACHE_THRESHOLD` (default 0.95). */
  semanticThreshold: number;
  /** Env `SEMANTIC_CACHE_MAX_ENTRIES` (default 100,000). */
  semanticMaxEntries: number;
  /** Env `SEMANTIC_CACHE_MULTI_TURN` (default false). */
  semanticMultiTurn: boolean;
}

/** What applies to one request: defaults, then the tenant's policy, then the request. */
export interface EffectiveCachePolicy {
  owner: CacheOwner;
  /** 0: no cache at all for this request. */
  ttlSeconds: number;
  semantic: { enabled: boolean; threshold: number; maxEntries: number; multiTurn: boolean };
}

export function resolveCachePolicy(
  tenant: string,
  defaults: CacheDefaults,
  policy: CachePolicy | undefined,
  request: CacheRequestOptions | undefined,
): EffectiveCachePolicy {
  // CACHE_TTL_SECONDS=0 is the operator's switch: caches off for every tenant.
  const tenantTtl = defaults.ttlSeconds === 0 ? 0 : (policy?.ttl_seconds ?? defaults.ttlSeconds);
  return {
    owner: policy?.shared_namespace
      ? { kind: 'namespace', id: policy.shared_namespace }
      : { kind: 'tenant', id: tenant },
    ttlSeconds:
      request?.ttl_seconds === undefined ? tenantTtl : Math.min(request.ttl_seconds, tenantTtl),
    semantic: {
      enabled: (policy?.semantic ?? true) && (request?.semantic ?? true),
      threshold:
        request?.similarity_threshold ?? policy?.semantic_threshold ?? defaults.semanticThreshold,
      maxEntries: policy?.semantic_max_entries ?? defaults.semanticMaxEntries,
      multiTurn: policy?.semantic_multi_turn ?? defaults.semanticMultiTurn,
    },
  };
}
