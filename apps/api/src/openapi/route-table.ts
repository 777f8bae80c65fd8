import type { Express } from 'express';
import { adminConsoleGuardMarker } from '../admin-console/admin-console-router';
import { authenticateMarker } from '../http/authenticate';
import { requiredScopeMarker } from '../http/require-scope';
import { metricsTokenMarker } from '../observability/metrics-router';

/** One method of one route, as the app's router stack declares it. */
export interface RouteEntry {
  method: string;
  path: string;
  /**
   * The `authenticate` middleware runs before this route, or the route's first handler
   * authenticates by itself (the API reference at `/docs`, see routes/api-reference-router).
   */
  authenticated: boolean;
  /** The scope its first `requireScope` guard asks for, if any. */
  scope?: string;
  /** A mounted sub-app (Bull Board) behind the admin console's own guard. */
  guardedMount: boolean;
  /** Guarded by the metrics token (`METRICS_TOKEN`, see observability/metrics-router) instead of an API key. */
  metricsToken: boolean;
}

interface Layer {
  handle: ((...args: unknown[]) => unknown) & { stack?: Layer[]; [key: symbol]: unknown };
  rawPath?: unknown;
  method?: string;
  route?: { path: string; methods: Record<string, boolean>; stack: Layer[] };
}

/**
 * Walks the app's actual Express 5 router stack (recursing into routers) and lists every
 * route method, with whether `authenticate` precedes it and which scope it requires. A route
 * added anywhere shows up here, so the auth-matrix test covers it without being told.
 */
export function listRouteTable(app: Pick<Express, 'router'>): RouteEntry[] {
  const entries: RouteEntry[] = [];
  let authenticated = false;
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.handle[authenticateMarker]) authenticated = true;
      if (layer.route) {
        const route = layer.route;
        for (const method of Object.keys(route.methods)) {
          if (method === '_all') continue; // `.all(methodNotAllowed)`: answers 405 only
          const handlers = route.stack.filter((item) => item.method === method);
          const scope = handlers[0]?.handle[requiredScopeMarker];
          entries.push({
            method: method.toUpperCase(),
            path: `${prefix}${route.path}`,
            authenticated: authenticated || handlers[0]?.handle[authenticateMarker] === true,
            ...(typeof scope === 'string' ? { scope } : {}),
            guardedMount: false,
            metricsToken: handlers[0]?.handle[metricsTokenMarker] === true,
          });
        }
      } else if (layer.handle[adminConsoleGuardMarker]) {
        entries.push({
          method: 'ANY',
          path: `${prefix}${mount}`,
          authenticated,
          guardedMount: true,
          metricsToken: false,
        });
      } else if (Array.isArray(layer.handle.stack)) {
        walk(layer.handle.stack, `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return entries;
}
