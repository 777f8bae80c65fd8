import type { RequestHandler } from 'express';

/** A router (or a middleware chain of routers): a handler whose `stack` the route table walks. */
type Routing = RequestHandler & { stack: unknown[] };

/** A router behind a path gate; `stack` is the router's, so the route table still sees its routes. */
export type GatedRouter<R extends Routing = Routing> = RequestHandler & { stack: R['stack'] };

/**
 * Enters `router` only for requests whose URL `reaches` accepts, and passes every other request
 * on at once. Express 5 enters each router mounted with `app.use(router)` for every request,
 * matches its routes against the path and, finding none, leaves it on the next turn of the event
 * loop (`setImmediate`): a submit crossed five such routers (health, metrics, admin console, API
 * reference, files) before its own. The gate must accept every URL the router has a route for:
 * Express matches paths case-insensitively and with or without a trailing slash.
 */
export function pathGate<R extends Routing>(
  reaches: (url: string) => boolean,
  router: R,
): GatedRouter<R> {
  const gate: RequestHandler = (request, response, next) => {
    if (reaches(request.url)) router(request, response, next);
    else next();
  };
  return Object.assign(gate, { stack: router.stack });
}

const apiUrl = /^\/v1\//i;

/** URLs outside `/v1/`: the health probes, `/metrics`, the admin console, the API reference. */
export function outsideApi(url: string): boolean {
  return !apiUrl.test(url);
}

/**
 * URLs at or below `base` (`/v1/files`, `/v1/files/`, `/v1/files?…`, `/v1/files/x`), any case,
 * and any URL not in origin form (`http://host/v1/files`: Express routes it by its path).
 */
export function atOrBelow(base: string): (url: string) => boolean {
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:[/?]|$)`, 'i');
  return (url) => url.charCodeAt(0) !== 47 || pattern.test(url);
}
