import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether a scrape may read `/metrics`: always when no token is configured (the endpoint is
 * then expected on an internal port), otherwise only with `Authorization: Bearer <token>`
 * (env `METRICS_TOKEN`). Compared in constant time.
 */
export function metricsScrapeAllowed(
  authorization: string | undefined,
  token: string | undefined,
): boolean {
  if (!token) return true;
  const presented = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '';
  if (!presented) return false;
  // Digests have one length, so the comparison leaks neither the token nor its length.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token));
}
