import type { AuditLog, Logger } from '@llmq/core';
import { ClientError, keyFingerprint } from '@llmq/core';
import type { Request, RequestHandler, Response } from 'express';
import type { ApiPrincipal } from './api-keys';
import type { KeyAuthenticator } from './key-authenticator';

/** Marks the authenticate middleware so the route-table test can see which routes it guards. */
export const authenticateMarker = Symbol.for('llmq.authenticate');

/** Reads the key from `Authorization: Bearer <key>` or `x-api-key`. */
export function presentedKey(request: Request): string | undefined {
  const header = request.headers.authorization;
  const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : request.headers['x-api-key'];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

export function principalOf(response: Response): ApiPrincipal {
  return response.locals.principal as ApiPrincipal;
}

/** Appends a `request-denied` audit entry without holding up the answer. */
export function auditDenied(
  auditLog: AuditLog,
  logger: Logger,
  request: Request,
  response: Response,
  outcome: string,
  key?: string,
): void {
  const principal = response.locals.principal as ApiPrincipal | undefined;
  auditLog
    .append({
      action: 'request-denied',
      actor: principal?.keyId ?? 'anonymous',
      ...(principal ? { actorTenant: principal.tenant } : {}),
      target: `${request.method} ${request.path}`.slice(0, 300),
      outcome,
      requestId: response.locals.requestId,
      ip: request.ip,
      ...(key && !principal ? { details: { key_fingerprint: keyFingerprint(key) } } : {}),
    })
    .catch((error: unknown) =>
      logger.warn('audit-append-failed', {
        event: 'audit-append-failed',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
}

/**
 * Authenticates every request that reaches it: sets `response.locals.principal` and
 * `response.locals.tenant`, or answers 401 (and records the denial in the audit log).
 */
export function authenticate(
  authenticator: KeyAuthenticator,
  auditLog: AuditLog,
  logger: Logger,
): RequestHandler {
  const handler: RequestHandler = async (request, response, next) => {
    const key = presentedKey(request);
    if (key === undefined) {
      auditDenied(auditLog, logger, request, response, 'missing_api_key');
      throw new ClientError(
        'missing_api_key',
        'send an API key as "Authorization: Bearer <key>"',
        undefined,
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    const principal = await authenticator.authenticate(key);
    if (!principal) {
      auditDenied(auditLog, logger, request, response, 'invalid_api_key', key);
      throw new ClientError('invalid_api_key', 'the API key is not valid', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    response.locals.principal = principal;
    response.locals.tenant = principal.tenant;
    next();
  };
  return Object.assign(handler, { [authenticateMarker]: true });
}
