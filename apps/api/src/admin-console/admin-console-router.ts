import { type AuditLog, ClientError, hasScope, type JobStore, type Logger } from '@llmq/core';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { methodNotAllowed } from '../http/api-error';
import type { ApiPrincipal } from '../http/api-keys';
import { auditDenied, presentedKey } from '../http/authenticate';
import type { KeyAuthenticator } from '../http/key-authenticator';
import type { AdminSessionStore } from './admin-session-store';
import { jobsPage, jobsPagePath } from './jobs-page';
import { type QueueBoard, queueBoardPath } from './queue-board';

export const sessionCookie = 'llmq_admin';

/**
 * The paths the session cookie is sent to: the console, and the API reference (`/docs`), which
 * a signed-in admin may read in production. Nothing else receives it.
 */
const sessionCookiePaths = ['/admin', '/docs'] as const;

/** Where the sign-in may send the browser back to (`?return_to=`); anything else: the board. */
const returnPaths = new Set(['/docs']);

/** Marks the console's own guard so the route-table test knows the board is protected. */
export const adminConsoleGuardMarker = Symbol.for('llmq.adminConsoleGuard');

export interface AdminConsoleOptions {
  authenticator: KeyAuthenticator;
  sessions: AdminSessionStore;
  board: QueueBoard;
  auditLog: AuditLog;
  logger: Logger;
  /** Set the cookie's `Secure` flag (env `ADMIN_COOKIE_SECURE`; on behind HTTPS). */
  secureCookie: boolean;
  /** The job store: the console's job explorer at `/admin/jobs`; absent, no such page. */
  jobs?: JobStore;
}

/** The named cookie's value, if it is shaped like a session token. */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      const value = part.slice(separator + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * A request carried by ambient browser credentials (the cookie) must come from our own pages:
 * `Sec-Fetch-Site` (sent by every current browser) must be `same-origin`, or, where it is
 * absent, `Origin` must name this host. SameSite=Strict already keeps the cookie off cross-site
 * requests; this second check covers older browsers and same-site sibling origins.
 */
function isSameOrigin(request: Request): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string') return fetchSite === 'same-origin' || fetchSite === 'none';
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return true; // not a browser cross-site request
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

const loginPage = (message?: string, returnTo?: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llmq admin sign-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 4rem auto">
<h1>llmq admin</h1>
${message ? `<p role="alert" id="error">${message}</p>` : ''}
<form method="post" action="/admin/login">
${returnTo ? `<input type="hidden" name="return_to" value="${returnTo}">` : ''}
<label for="api_key">Admin API key</label><br>
<input id="api_key" name="api_key" type="password" autocomplete="off" required style="width: 100%"><br><br>
<button type="submit">Sign in</button>
</form></body></html>`;

/**
 * The browser console: `GET/POST /admin/login`, `POST /admin/logout` and Bull Board at
 * `/admin/queues`. A browser signs in with an admin key once and gets an HttpOnly,
 * SameSite=Strict session cookie; API clients may send the key as a Bearer header instead.
 * `admin` sees the full board, `admin:read` a read-only one; anyone else is refused.
 */
export function adminConsoleRouter(options: AdminConsoleOptions): Router {
  const router = Router();
  const { authenticator, sessions, board, auditLog, logger } = options;
  const cookieFlags = `HttpOnly; SameSite=Strict${options.secureCookie ? '; Secure' : ''}`;
  const sessionCookies = (value: string, maxAge: number) =>
    sessionCookiePaths.map(
      (path) => `${sessionCookie}=${value}; Path=${path}; ${cookieFlags}; Max-Age=${maxAge}`,
    );
  const returnPathOf = (value: unknown) =>
    typeof value === 'string' && returnPaths.has(value) ? value : undefined;

  const deny = (request: Request, response: Response, outcome: string, status: number) => {
    auditDenied(auditLog, logger, request, response, outcome);
    const wantsPage =
      request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    if (wantsPage && status === 401) {
      response.redirect(303, '/admin/login');
      return;
    }
    throw status === 401
      ? new ClientError(
          'missing_api_key',
          'sign in at /admin/login or send an admin API key',
          undefined,
          {
            'WWW-Authenticate': 'Bearer',
          },
        )
      : new ClientError('insufficient_scope', 'this key lacks the "admin:read" scope', {
          required_scope: 'admin:read',
        });
  };

  router
    .route('/admin/login')
    .get((request, response) => {
      response.type('html').send(loginPage(undefined, returnPathOf(request.query.return_to)));
    })
    .post(express.urlencoded({ extended: false, limit: '4kb' }), async (request, response) => {
      if (!isSameOrigin(request)) {
        auditDenied(auditLog, logger, request, response, 'cross_site_request');
        throw new ClientError('cross_site_request', 'cross-site sign-in is refused');
      }
      const body = request.body as Record<string, unknown> | undefined;
      const key = typeof body?.api_key === 'string' ? body.api_key.trim() : '';
      const principal = key ? await authenticator.authenticate(key) : undefined;
      if (!principal || !hasScope(principal.scopes, 'admin:read')) {
        auditDenied(
          auditLog,
          logger,
          request,
          response,
          principal ? 'insufficient_scope' : 'invalid_api_key',
          key,
        );
        response
          .status(401)
          .type('html')
          .send(loginPage('That key is not an admin key.', returnPathOf(body?.return_to)));
        return;
      }
      const token = await sessions.create(principal);
      await auditLog.append({
        action: 'admin-login',
        actor: principal.keyId,
        actorTenant: principal.tenant,
        outcome: 'success',
        requestId: response.locals.requestId,
        ip: request.ip,
      });
      response.setHeader('Set-Cookie', sessionCookies(token, sessions.ttlSeconds));
      response.redirect(303, returnPathOf(body?.return_to) ?? queueBoardPath);
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/admin/logout')
    .post(async (request, response) => {
      if (!isSameOrigin(request))
        throw new ClientError('cross_site_request', 'cross-site request refused');
      const token = readCookie(request, sessionCookie);
      if (token) await sessions.remove(token);
      response.setHeader('Set-Cookie', sessionCookies('', 0));
      response.redirect(303, '/admin/login');
    })
    .all(methodNotAllowed(['POST']));

  /** The console's guard in front of `serve` (given whether the principal is a full admin). */
  const guarded =
    (serve: (fullAdmin: boolean) => RequestHandler): RequestHandler =>
    async (request, response, next) => {
      let principal: ApiPrincipal | undefined;
      const key = presentedKey(request);
      if (key !== undefined) {
        principal = await authenticator.authenticate(key);
      } else {
        const token = readCookie(request, sessionCookie);
        principal = token ? await sessions.find(token) : undefined;
        const changing = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
        if (principal && changing && !isSameOrigin(request)) {
          response.locals.principal = principal;
          auditDenied(auditLog, logger, request, response, 'cross_site_request');
          throw new ClientError(
            'cross_site_request',
            'cross-site requests to the admin console are refused',
          );
        }
      }
      if (!principal) return deny(request, response, 'missing_api_key', 401);
      const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
      response.locals.principal = principal;
      response.locals.tenant = principal.tenant;
      if (!hasScope(principal.scopes, 'admin:read'))
        return deny(request, response, 'insufficient_scope', 403);
      const fullAdmin = hasScope(principal.scopes, 'admin');
      // Read-only admins get the read-only board, and no changing request reaches a board at all
      // (Bull Board's own read-only check does not cover every bulk action).
      if (!fullAdmin && mutating) {
        auditDenied(auditLog, logger, request, response, 'insufficient_scope');
        throw new ClientError('insufficient_scope', 'changing queues needs the "admin" scope', {
          required_scope: 'admin',
        });
      }
      return serve(fullAdmin)(request, response, next);
    };
  const guard = guarded((fullAdmin) => (fullAdmin ? board.full : board.readOnly));
  router.use(queueBoardPath, Object.assign(guard, { [adminConsoleGuardMarker]: true }));
  if (options.jobs) {
    const page = jobsPage(options.jobs);
    const jobsGuard = guarded(() => (request, response, next) => {
      if (request.method !== 'GET' || request.path !== '/') return next();
      page(request, response).catch(next);
    });
    router.use(jobsPagePath, Object.assign(jobsGuard, { [adminConsoleGuardMarker]: true }));
  }
  return router;
}
