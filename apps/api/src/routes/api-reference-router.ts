import type { AuditLog, Logger } from '@llmq/core';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import helmet from 'helmet';
import { readCookie, sessionCookie } from '../admin-console/admin-console-router';
import type { AdminSessionStore } from '../admin-console/admin-session-store';
import { authenticate, authenticateMarker, presentedKey } from '../http/authenticate';
import type { KeyAuthenticator } from '../http/key-authenticator';
import { requiredScopeMarker, scopeGuards } from '../http/require-scope';
import {
  apiReferenceAssets,
  apiReferenceCsp,
  apiReferenceStartScript,
  redocBundleFile,
  renderApiReferencePage,
} from '../openapi/api-reference-page';
import type { OpenApiDocument } from '../openapi/openapi-document';

export interface ApiReferenceOptions {
  /**
   * Anyone may open `GET /docs` (env `API_REFERENCE_OPEN`; by default on when `NODE_ENV` is
   * not `production`). Off: a key with `jobs:read`, or a signed-in admin console session.
   */
  open: boolean;
  authenticator: KeyAuthenticator;
  sessions: AdminSessionStore;
  auditLog: AuditLog;
  logger: Logger;
  documentOf: (app: Request['app']) => OpenApiDocument;
}

/**
 * Lets a request through to the reference when the reference is open, or it carries a key with
 * `jobs:read` (checked by the API's own `authenticate` and scope guard), or the admin console's
 * session cookie. A browser with neither is sent to the console's sign-in, which returns here.
 */
function referenceGuard(options: ApiReferenceOptions): RequestHandler {
  const checkKey = authenticate(options.authenticator, options.auditLog, options.logger);
  const checkScope = scopeGuards(options)('jobs:read');
  const guard: RequestHandler = async (request, response, next) => {
    if (options.open) return next();
    if (presentedKey(request) === undefined) {
      const token = readCookie(request, sessionCookie);
      const principal = token ? await options.sessions.find(token) : undefined;
      if (principal) {
        response.locals.principal = principal;
        response.locals.tenant = principal.tenant;
        return next();
      }
      if ((request.headers.accept ?? '').includes('text/html'))
        return response.redirect(303, '/admin/login?return_to=/docs');
    }
    // No key answers 401 `missing_api_key`, a wrong one 401, one without the scope 403.
    return checkKey(request, response, (error?: unknown) =>
      error ? next(error) : checkScope(request, response, next),
    );
  };
  // For the route table: this route authenticates by itself, and asks for `jobs:read`.
  return Object.assign(guard, { [authenticateMarker]: true, [requiredScopeMarker]: 'jobs:read' });
}

/**
 * `GET /docs`, the interactive API reference for a person in a browser (Redoc over the same
 * OpenAPI document as `GET /openapi.json`), and its two scripts under `/docs/assets/`. Mounted
 * before `authenticate`: the page has its own guard, the scripts are public code.
 */
export function apiReferenceRouter(options: ApiReferenceOptions): Router {
  const router = Router();
  router.get(apiReferenceAssets.bundle, (_request: Request, response: Response) => {
    response.sendFile(redocBundleFile, { maxAge: '1d' });
  });
  router.get(apiReferenceAssets.start, (_request: Request, response: Response) => {
    response.type('js').setHeader('Cache-Control', 'public, max-age=86400');
    response.send(apiReferenceStartScript);
  });
  router.get(
    '/docs',
    referenceGuard(options),
    helmet.contentSecurityPolicy({ useDefaults: false, directives: apiReferenceCsp }),
    (request: Request, response: Response) => {
      response.setHeader('Cache-Control', 'no-store');
      response.type('html').send(renderApiReferencePage(options.documentOf(request.app)));
    },
  );
  return router;
}
