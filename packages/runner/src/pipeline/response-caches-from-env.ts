import {
  CachePolicyStore,
  ExactCache,
  embedderFrom,
  type Logger,
  type ProviderRegistry,
  type RedisKeys,
  ResponseCaches,
  SemanticCache,
  toCacheDefaults,
} from '@llmq/core';
import type { Redis } from 'ioredis';
import type { RunnerEnv } from '../runner-env';

/**
 * The cache stage of a job run: the exact cache, the semantic cache when `SEMANTIC_CACHE_MODEL`
 * names an embedding model of a configured provider, and the tenants' cache policies.
 * Throws at start, naming the variable, when that model's provider is unknown.
 */
export function responseCachesFromEnv(options: {
  env: RunnerEnv;
  connection: Redis;
  keys: RedisKeys;
  providers: ProviderRegistry;
  logger: Logger;
}): ResponseCaches {
  const { env, connection, keys, providers, logger } = options;
  const defaults = toCacheDefaults(env);
  let semantic: SemanticCache | undefined;
  if (env.SEMANTIC_CACHE_MODEL) {
    const { id, provider, model } = env.SEMANTIC_CACHE_MODEL;
    let embeddingModel: ReturnType<ProviderRegistry['embeddingModel']>;
    try {
      embeddingModel = providers.embeddingModel(provider, model);
    } catch (error) {
      throw new Error(
        `SEMANTIC_CACHE_MODEL=${id}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    semantic = new SemanticCache(connection, keys, {
      embed: embedderFrom(embeddingModel),
      embeddingModel: id,
      timeoutMs: env.SEMANTIC_CACHE_TIMEOUT_MS,
    });
  }
  return new ResponseCaches({
    exact: new ExactCache(connection, keys, { ttlSeconds: env.CACHE_TTL_SECONDS }),
    semantic,
    policies: new CachePolicyStore(connection, keys, {
      defaults,
      cacheTtlMs: env.CACHE_POLICY_CACHE_MS,
    }),
    defaults,
    // A failing cache is a miss, never a failed job; the error text names no prompt.
    onError: (cache, error) =>
      logger.warn('cache-error', {
        event: 'cache-error',
        cache_type: cache,
        error: error instanceof Error ? error.message : String(error),
      }),
  });
}
