import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import { FIVE_MINUTES_MS, ONE_HOUR_MS } from '../prompt-cache/prompt-cache';

/** The lifetime of an Anthropic `cache_control` breakpoint: `ttl: "1h"`, else 5 minutes. */
export function cacheTtlMs(cacheControl: { ttl?: '5m' | '1h' | undefined }): number {
  return cacheControl.ttl === '1h' ? ONE_HOUR_MS : FIVE_MINUTES_MS;
}

/**
 * Anthropic's rule for mixed lifetimes: every `1h` breakpoint comes before every `5m` one in
 * the prompt (tools, system, messages). `undefined` when the order is right.
 */
export function checkTtlOrder(ttlsInPromptOrder: readonly number[]): RefusedRequest | undefined {
  let sawShorter = false;
  for (const ttlMs of ttlsInPromptOrder) {
    if (ttlMs < ONE_HOUR_MS) sawShorter = true;
    else if (sawShorter)
      return refuse(
        "A cache_control block with ttl='1h' must not come after a cache_control block with ttl='5m'.",
        null,
      );
  }
  return undefined;
}
