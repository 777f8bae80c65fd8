import { timingSafeEqual } from 'node:crypto';

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
  const expected = Buffer.from(token);
  const actual = Buffer.from(presented);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
