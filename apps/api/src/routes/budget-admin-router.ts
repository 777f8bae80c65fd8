import {
  type AuditLog,
  type BudgetStore,
  budgetSchema,
  fromNanoUsd,
  limitsInUsd,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import { auditSuccess } from '../http/audit-success';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';

export interface BudgetAdminRouterOptions {
  budgets: BudgetStore;
  auditLog: AuditLog;
  requireScope: RequireScope;
}

const tenantSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64)');

/**
 * `/v1/admin/tenants/:tenant/budget`: read (`admin:read`), replace (`PUT`, `admin`) or reset
 * to the defaults (`DELETE`, `admin`) a tenant's daily and monthly budgets. Changes are audited.
 */
export function budgetAdminRouter({
  budgets,
  auditLog,
  requireScope,
}: BudgetAdminRouterOptions): Router {
  const router = Router();
  const view = async (tenant: string) => {
    const status = await budgets.status(tenant);
    return {
      object: 'budget',
      tenant,
      /** The tenant's own fields; absent ones take the defaults. */
      budget: status.budget,
      /** What applies now: own fields over the server defaults (null: no limit). */
      effective: limitsInUsd(budgets.effectiveLimits(status.budget)),
      spent_today_usd: fromNanoUsd(status.spentToday),
      spent_this_month_usd: fromNanoUsd(status.spentThisMonth),
      reserved_usd: fromNanoUsd(status.reserved),
    };
  };
  const audit = (request: Request, response: Response, action: string, tenant: string) =>
    auditSuccess(auditLog, request, response, { action, tenant, target: tenant });
  router
    .route('/v1/admin/tenants/:tenant/budget')
    .get(requireScope('admin:read'), async (request: Request, response: Response) => {
      response.json(await view(tenantSchema.parse(request.params.tenant)));
    })
    .put(requireScope('admin'), requireJsonBody, async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      await budgets.write(tenant, budgetSchema.parse(request.body));
      await audit(request, response, 'budget-update', tenant);
      response.json(await view(tenant));
    })
    .delete(requireScope('admin'), async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      await budgets.reset(tenant);
      await audit(request, response, 'budget-reset', tenant);
      response.json(await view(tenant));
    })
    .all(methodNotAllowed(['GET', 'PUT', 'DELETE']));
  return router;
}
