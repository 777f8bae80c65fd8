import {
  type AuditLog,
  defaultTenantWeight,
  type TenantFlowStore,
  tenantFlowSchema,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import { auditSuccess } from '../http/audit-success';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';

export interface FlowAdminRouterOptions {
  flows: TenantFlowStore;
  auditLog: AuditLog;
  requireScope: RequireScope;
}

const tenantSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64)');

/**
 * `/v1/admin/tenants/:tenant/flow`: a tenant's weight in every lane's turn-taking and its cap
 * on running jobs. Read (`admin:read`), replace (`PUT`, `admin`), reset (`DELETE`, `admin`);
 * changes are audited and reach every API and worker within the settings cache (5 s).
 */
export function flowAdminRouter({ flows, auditLog, requireScope }: FlowAdminRouterOptions): Router {
  const router = Router();
  const view = async (tenant: string) => {
    const { setting, stored } = await flows.read(tenant);
    return {
      object: 'tenant_flow',
      tenant,
      source: stored ? 'tenant' : 'default',
      flow: setting,
      effective: {
        weight: setting.weight ?? defaultTenantWeight,
        max_running_jobs: setting.max_running_jobs ?? null,
      },
    };
  };
  const audit = (
    request: Request,
    response: Response,
    action: string,
    tenant: string,
    details?: Record<string, unknown>,
  ) =>
    auditSuccess(auditLog, request, response, {
      action,
      tenant,
      target: tenant,
      ...(details ? { details } : {}),
    });

  router
    .route('/v1/admin/tenants/:tenant/flow')
    .get(requireScope('admin:read'), async (request: Request, response: Response) => {
      response.json(await view(tenantSchema.parse(request.params.tenant)));
    })
    .put(requireScope('admin'), requireJsonBody, async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      const flow = tenantFlowSchema.parse(request.body);
      await flows.write(tenant, flow);
      await audit(request, response, 'tenant-flow-update', tenant, { ...flow });
      response.json(await view(tenant));
    })
    .delete(requireScope('admin'), async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      await flows.reset(tenant);
      await audit(request, response, 'tenant-flow-reset', tenant);
      response.json(await view(tenant));
    })
    .all(methodNotAllowed(['GET', 'PUT', 'DELETE']));

  return router;
}
