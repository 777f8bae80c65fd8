import type { CacheRequestOptions, JobResult, NormalizedRequest } from '@llmq/core';

/**
 * The seam where the exact cache (issue 5) answers sync and streamed requests without a trip
 * through the queue. Nothing implements it yet: `createApp` takes one as an optional
 * dependency, and the compatible endpoints consult it before submitting a job. A hit is
 * answered with `x-llmq-cached: true`; a streamed request gets the cached answer as a stream.
 */
export interface ResponseCache {
  /** The stored result for exactly this request, or undefined. `model` is the catalog id. */
  lookup(query: {
    tenant: string;
    model: string;
    request: NormalizedRequest;
    /** The request's `cache_options` (TTL, threshold), applied with the tenant's cache policy. */
    options?: CacheRequestOptions;
  }): Promise<JobResult | undefined>;
}
