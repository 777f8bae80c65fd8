import {
  asCacheHit,
  type CacheLookup,
  type CostLedger,
  type JobDeltaPublisher,
  type JobStore,
  type LlmqMetrics,
  type Logger,
  ledgerLineFromCacheHit,
  type PromptJobData,
  type ResponseCaches,
  reservationToRelease,
} from '@llmq/core';

/**
 * Looks a prompt job up in the caches: an exact or close-enough earlier answer is answered
 * again, free; `refresh` skips the reads (the fresh answer is stored on completion). Keyed by
 * the routed model, as the API's sync endpoints key it, so `auto` hits on every path.
 */
export async function lookupCache(
  caches: ResponseCaches | undefined,
  data: PromptJobData,
  model: string,
): Promise<CacheLookup | undefined> {
  const { tenant, request, cache: mode, cacheOptions } = data;
  return caches?.lookup({ tenant, model, request, mode, options: cacheOptions });
}

export interface CacheAnswerContext {
  store: JobStore;
  logger: Logger;
  metrics?: LlmqMetrics;
  ledger?: CostLedger;
  /** The streamed job's publisher: the cached text goes out as one delta. */
  publisher?: JobDeltaPublisher;
  /** When the job store accepted this run, epoch ms. */
  startedAt: number;
}

/**
 * Completes a prompt job with a cached answer: free, no provider call, its saving written to
 * the ledger (which also releases the job's budget reservation).
 */
export async function answerFromCache(
  context: CacheAnswerContext,
  data: PromptJobData,
  hit: NonNullable<CacheLookup['hit']>,
  log: Record<string, unknown>,
): Promise<void> {
  const { store, ledger, publisher } = context;
  const finishedAt = Date.now();
  const result = asCacheHit(
    hit.result,
    {
      queue_wait_ms: Math.max(0, context.startedAt - data.createdAt),
      provider_ms: 0,
      total_ms: Math.max(0, finishedAt - data.createdAt),
    },
    hit.type === 'semantic' ? { type: 'semantic', score: hit.score } : { type: 'exact' },
  );
  if (publisher) {
    publisher.push(hit.result.text);
    await publisher.flush();
  }
  const written = await store.complete(
    data.jobId,
    result,
    finishedAt,
    ledger?.write(data.tenant, [ledgerLineFromCacheHit(hit.result.model, result)], {
      now: finishedAt,
      releaseReservation: reservationToRelease(data),
    }),
  );
  context.metrics?.cacheHits.inc({ cache_type: hit.type });
  context.logger.info('job-end', {
    event: 'job-end',
    ...log,
    cached: true,
    cache_type: hit.type,
    ...(hit.type === 'semantic' ? { cache_score: hit.score } : {}),
    written,
  });
}
