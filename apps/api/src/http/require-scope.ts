import { type ApiKeyScope, type AuditLog, ClientError, hasScope, type Logger } from '@llmq/core';
import type { RequestHandler } from 'express';
import type { ApiPrincipal } from './api-keys';
import { auditDenied } from './authenticate';

/** Property carrying a scope guard's scope, read by the route-table (auth-matrix) test. */
export const requiredScopeMarker = Symbol.for('llmq.requiredScope');

export interface ScopeGuardContext {
  auditLog: AuditLog;
  logger: Logger;
}

/**
 * Every authenticated route declares the scope it needs with this guard, first in its handler
 * chain: `router.route('/v1/x').get(requireScope('jobs:read'), handler)`. A key without the
 * scope gets 403 `insufficient_scope` (audited).
 */
export function scopeGuards(context: ScopeGuardContext) {
  return function requireScope(scope: ApiKeyScope): RequestHandler {
    const guard: RequestHandler = (request, response, next) => {
      const principal = response.locals.principal as ApiPrincipal | undefined;
      if (!principal || !hasScope(principal.scopes, scope)) {
        auditDenied(context.auditLog, context.logger, request, response, 'insufficient_scope');
        throw new ClientError('insufficient_scope', `this API key lacks the "${scope}" scope`, {
          required_scope: scope,
        });
      }
      next();
    };
    return Object.assign(guard, { [requiredScopeMarker]: scope });
  };
}
export type RequireScope = ReturnType<typeof scopeGuards>;
