import { z } from 'zod';

/**
 * How a request uses the exact cache: `auto` reads and writes (deterministic requests only,
 * see {@link isCacheable}), `refresh` skips the read but stores the fresh answer
 * (`Cache-Control: no-cache`), `bypass` neither reads nor writes (`Cache-Control: no-store`),
 * `force` caches a non-deterministic request too (the caller accepts a repeated sample).
 */
export const cacheModeSchema = z.enum(['auto', 'refresh', 'bypass', 'force']);
export type CacheMode = z.infer<typeof cacheModeSchema>;
