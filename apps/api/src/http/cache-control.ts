import type { CacheMode } from '@llmq/core';
import type { Request } from 'express';

/**
 * The exact-cache mode a request's `Cache-Control` header asks for: `no-store` neither reads
 * nor writes the cache, `no-cache` skips the read but stores the fresh answer. A body field
 * (`cache` on `POST /v1/jobs`) wins over the header.
 */
export function cacheModeFromHeaders(request: Request): CacheMode | undefined {
  const header = request.headers['cache-control'];
  if (typeof header !== 'string') return undefined;
  const directives = header
    .toLowerCase()
    .split(',')
    .map((directive) => directive.trim());
  if (directives.includes('no-store')) return 'bypass';
  if (directives.includes('no-cache')) return 'refresh';
  return undefined;
}
