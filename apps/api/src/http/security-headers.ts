import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The headers of every `/v1/...` answer. Those answers are JSON, SSE or file content, never a
 * page a browser renders (`X-Content-Type-Options: nosniff` keeps it from sniffing one), so
 * they carry what guards a resource rather than a document, as OWASP's REST Security Cheat
 * Sheet lists: a CSP that allows nothing and no framing (stricter than helmet's page policy),
 * no framing for old browsers, HSTS, and no cross-origin reads.
 */
export const apiResponseHeaders: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
];

/**
 * Security headers: helmet's full set for the pages and everything outside `/v1` (the admin
 * console, `/docs`, health and 404s), {@link apiResponseHeaders} for the API. Helmet's other
 * headers govern how a browser treats a document (opener, agent cluster, referrer, DNS
 * prefetch, IE's download and XSS filter, Flash's cross-domain policy); on an API answer they
 * were seven of the submit's ~16 headers and ~400 of its ~900 bytes, for nothing.
 */
export function securityHeaders(): RequestHandler {
  const documentHeaders = helmet({
    contentSecurityPolicy: {
      // Served over plain HTTP in development; TLS is the proxy's job.
      directives: { upgradeInsecureRequests: null },
    },
  });
  return (request, response, next) => {
    if (!request.url.startsWith('/v1/')) {
      documentHeaders(request, response, next);
      return;
    }
    for (const [name, value] of apiResponseHeaders) response.setHeader(name, value);
    next();
  };
}
