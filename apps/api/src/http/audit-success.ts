import type { AuditEvent, AuditLog } from '@llmq/core';
import type { Request, Response } from 'express';
import { principalOf } from './authenticate';

/** What an audited action says of itself; who did it, from where, comes from the request. */
export type AuditedAction = Omit<
  AuditEvent,
  'actor' | 'actorTenant' | 'outcome' | 'requestId' | 'ip'
>;

/**
 * Appends a successful action to the audit log: the acting key and its tenant, the request id
 * and the client address from the request, the rest from `action`.
 */
export function auditSuccess(
  auditLog: AuditLog,
  request: Request,
  response: Response,
  action: AuditedAction,
): Promise<string> {
  const principal = principalOf(response);
  return auditLog.append({
    actor: principal.keyId,
    actorTenant: principal.tenant,
    outcome: 'success',
    requestId: response.locals.requestId,
    ip: request.ip,
    ...action,
  });
}
