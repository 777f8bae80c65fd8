import type { JobResult } from '../jobs/job-record';
import type { NormalizedRequest } from '../jobs/job-request';
import type { CacheMode } from './cache-mode';
import {
  type CacheDefaults,
  type CacheRequestOptions,
  type EffectiveCachePolicy,
  resolveCachePolicy,
} from './cache-policy';
import type { CachePolicyStore } from './cache-policy-store';
import { type ExactCache, isCacheable } from './exact-cache';
import type { SemanticCache, SemanticQuery } from './semantic-cache';

/** One request to look up, as a job carries it. */
export interface CacheLookupRequest {
  tenant: string;
  /** Catalog model id (aliases resolved), or `auto`. */
  model: string;
  request: NormalizedRequest;
  mode?: CacheMode;
  options?: CacheRequestOptions;
}

/** A stored answer that fits the request: from the exact cache, or a similar prompt's. */
export type CacheHit =
  | { type: 'exact'; result: JobResult }
  | { type: 'semantic'; result: JobResult; score: number };

/** The outcome of a lookup: maybe a hit, and how to store the fresh answer after a miss. */
export interface CacheLookup {
  hit?: CacheHit;
  /**
   * Stores a complete, successful, unfiltered answer in every cache the request may use
   * (callers decide it is one). Never throws: a cache that fails reports through `onError`.
   */
  remember(result: JobResult): Promise<void>;
}

export interface ResponseCachesOptions {
  exact?: ExactCache;
  /** Absent unless an embedding model is configured (env `SEMANTIC_CACHE_MODEL`). */
  semantic?: SemanticCache;
  /** Tenants' cache policies; without it the defaults apply to every tenant. */
  policies?: CachePolicyStore;
  defaults: CacheDefaults;
  /** A cache that failed (Redis, the embedding call): the request goes on as a miss. */
  onError?: (cache: 'exact' | 'semantic', error: unknown) => void;
}

const nothingToRemember = async () => undefined;

/**
 * The cache stage of a job: the exact cache first, then the semantic cache, under the tenant's
 * cache policy (TTL, shared namespace, semantic settings) and the request's cache mode and
 * options. A failing cache never fails the job: it is a miss.
 */
export class ResponseCaches {
  constructor(private readonly options: ResponseCachesOptions) {}

  async lookup(query: CacheLookupRequest): Promise<CacheLookup> {
    const mode = query.mode ?? 'auto';
    if (!isCacheable(query.request, mode)) return { remember: nothingToRemember };
    const policy = await this.policyFor(query);
    if (policy.ttlSeconds <= 0) return { remember: nothingToRemember };
    const read = mode !== 'refresh';
    const { exact, semantic } = this.options;

    if (exact && read) {
      const result = await this.guard('exact', () =>
        exact.get(query.tenant, query.model, query.request, policy),
      );
      if (result) return { hit: { type: 'exact', result }, remember: nothingToRemember };
    }
    const prepared = semantic
      ? await this.guard('semantic', () => semantic.prepare(query.model, query.request, policy))
      : undefined;
    if (semantic && prepared && read) {
      const hit = await this.guard('semantic', () => semantic.lookup(prepared));
      if (hit) return { hit: { type: 'semantic', ...hit }, remember: nothingToRemember };
    }
    return { remember: (result) => this.remember(query, policy, prepared, result) };
  }

  private async remember(
    query: CacheLookupRequest,
    policy: EffectiveCachePolicy,
    prepared: SemanticQuery | undefined,
    result: JobResult,
  ): Promise<void> {
    const { exact, semantic } = this.options;
    await Promise.all([
      exact
        ? this.guard('exact', () =>
            exact.set(query.tenant, query.model, query.request, result, policy),
          )
        : undefined,
      semantic && prepared
        ? this.guard('semantic', () => semantic.store(prepared, result))
        : undefined,
    ]);
  }

  private async policyFor(query: CacheLookupRequest): Promise<EffectiveCachePolicy> {
    return this.options.policies
      ? this.options.policies.effective(query.tenant, query.options)
      : resolveCachePolicy(query.tenant, this.options.defaults, undefined, query.options);
  }

  private async guard<T>(
    cache: 'exact' | 'semantic',
    run: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      this.options.onError?.(cache, error);
      return undefined;
    }
  }
}
