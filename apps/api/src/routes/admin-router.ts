import {
  type ApiKeyStore,
  type AuditLog,
  apiKeyLimitsSchema,
  apiKeyScopeSchema,
  type CachePolicyStore,
  ClientError,
  cachePolicySchema,
  type FilterPolicyStore,
  filterPolicyPatchSchema,
  type Logger,
  mergeFilterPolicy,
  toApiKeyView,
} from '@llmq/core';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { methodNotAllowed } from '../http/api-error';
import { type AuditedAction, auditSuccess } from '../http/audit-success';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';

export interface AdminRouterOptions {
  keyStore: ApiKeyStore;
  auditLog: AuditLog;
  filterPolicies: FilterPolicyStore;
  /** Tenants' cache policies; without it the cache-policy routes are absent. */
  cachePolicies?: CachePolicyStore;
  requireScope: RequireScope;
  logger: Logger;
}

const tenantSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64)');
const keyIdPattern = /^[0-9a-f]{12}$/;

export const createKeySchema = z
  .object({
    tenant: tenantSchema,
    scopes: z.array(apiKeyScopeSchema).min(1),
    name: z.string().min(1).max(100).optional(),
    limits: apiKeyLimitsSchema.optional(),
    /** ISO time after which the key stops working. */
    expires_at: z.iso.datetime().optional(),
  })
  .strict();

export const updateKeySchema = z
  .object({
    scopes: z.array(apiKeyScopeSchema).min(1).optional(),
    name: z.string().min(1).max(100).optional(),
    limits: apiKeyLimitsSchema.optional(),
  })
  .strict();

export const rotateKeySchema = z
  .object({
    /** How long the old key keeps working, seconds (default 24 h, at most 30 days). */
    grace_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .default(86_400),
  })
  .strict();

const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z
    .string()
    .regex(/^\d{1,20}-\d{1,20}$/)
    .optional(),
});

/**
 * The admin API: `/v1/admin/keys` (create, list, show, update, revoke, rotate),
 * `/v1/admin/tenants/:tenant/filter-policy`, `/v1/admin/tenants/:tenant/cache-policy` and
 * `/v1/admin/audit`. Changes need the `admin`
 * scope, reads `admin:read`. Every change is appended to the audit log.
 */
export function adminRouter({
  keyStore,
  auditLog,
  filterPolicies,
  cachePolicies,
  requireScope,
}: AdminRouterOptions): Router {
  const router = Router();
  const audit = (request: Request, response: Response, action: AuditedAction) =>
    auditSuccess(auditLog, request, response, action);

  router
    .route('/v1/admin/keys')
    .post(requireScope('admin'), requireJsonBody, async (request: Request, response: Response) => {
      const body = createKeySchema.parse(request.body);
      const { key, record } = await keyStore.create({
        tenant: body.tenant,
        scopes: body.scopes,
        ...(body.name ? { name: body.name } : {}),
        ...(body.limits ? { limits: body.limits } : {}),
        ...(body.expires_at ? { expiresAt: Date.parse(body.expires_at) } : {}),
      });
      await audit(request, response, {
        action: 'key-create',
        tenant: record.tenant,
        target: record.id,
        details: { scopes: record.scopes },
      });
      // The only time the secret is shown.
      response.status(201).json({ ...toApiKeyView(record), key });
    })
    .get(requireScope('admin:read'), async (request: Request, response: Response) => {
      const tenant =
        typeof request.query.tenant === 'string'
          ? tenantSchema.parse(request.query.tenant)
          : undefined;
      const records = await keyStore.list(tenant);
      response.json({ object: 'list', data: records.map((record) => toApiKeyView(record)) });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/v1/admin/keys/:id')
    .get(requireScope('admin:read'), async (request: Request, response: Response) => {
      const record = await keyStore.get(validKeyId(request));
      if (!record) throw keyNotFound();
      response.json(toApiKeyView(record));
    })
    .patch(requireScope('admin'), requireJsonBody, async (request: Request, response: Response) => {
      const id = validKeyId(request);
      const changes = updateKeySchema.parse(request.body);
      const record = await keyStore.update(id, changes);
      if (!record) throw keyNotFound();
      await audit(request, response, {
        action: 'key-update',
        tenant: record.tenant,
        target: id,
        details: { fields: Object.keys(changes) },
      });
      response.json(toApiKeyView(record));
    })
    .delete(requireScope('admin'), async (request: Request, response: Response) => {
      const id = validKeyId(request);
      const record = await keyStore.revoke(id);
      if (!record) throw keyNotFound();
      await audit(request, response, { action: 'key-revoke', tenant: record.tenant, target: id });
      response.json(toApiKeyView(record));
    })
    .all(methodNotAllowed(['GET', 'PATCH', 'DELETE']));

  router
    .route('/v1/admin/keys/:id/rotate')
    .post(requireScope('admin'), async (request: Request, response: Response) => {
      const id = validKeyId(request);
      const body = rotateKeySchema.parse(request.body ?? {});
      const rotated = await keyStore.rotate(id, body.grace_seconds);
      if (!rotated) throw keyNotFound();
      await audit(request, response, {
        action: 'key-rotate',
        tenant: rotated.record.tenant,
        target: id,
        details: { new_key_id: rotated.record.id, grace_seconds: body.grace_seconds },
      });
      response.status(201).json({
        ...toApiKeyView(rotated.record),
        key: rotated.key,
        previous: toApiKeyView(rotated.previous),
      });
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/admin/tenants/:tenant/filter-policy')
    .get(requireScope('admin:read'), async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      const { policy, stored } = await filterPolicies.read(tenant);
      response.json({
        object: 'filter_policy',
        tenant,
        source: stored ? 'tenant' : 'default',
        policy,
      });
    })
    .put(requireScope('admin'), requireJsonBody, async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      const patch = filterPolicyPatchSchema.parse(request.body);
      const policy = mergeFilterPolicy(filterPolicies.defaults, patch);
      await filterPolicies.write(tenant, policy);
      await audit(request, response, { action: 'filter-policy-update', tenant, target: tenant });
      response.json({ object: 'filter_policy', tenant, source: 'tenant', policy });
    })
    .delete(requireScope('admin'), async (request: Request, response: Response) => {
      const tenant = tenantSchema.parse(request.params.tenant);
      await filterPolicies.reset(tenant);
      await audit(request, response, { action: 'filter-policy-reset', tenant, target: tenant });
      response.json({
        object: 'filter_policy',
        tenant,
        source: 'default',
        policy: filterPolicies.defaults,
      });
    })
    .all(methodNotAllowed(['GET', 'PUT', 'DELETE']));

  if (cachePolicies) {
    // A tenant's cache TTL, shared namespace and semantic settings. Only an admin key can
    // put a tenant into a shared namespace: sharing answers is the operator's decision.
    const view = async (tenant: string) => {
      const { policy, stored } = await cachePolicies.read(tenant);
      const effective = await cachePolicies.effective(tenant);
      return {
        object: 'cache_policy',
        tenant,
        source: stored ? 'tenant' : 'default',
        policy,
        effective: {
          ttl_seconds: effective.ttlSeconds,
          shared_namespace: effective.owner.kind === 'namespace' ? effective.owner.id : null,
          semantic: effective.semantic.enabled,
          semantic_threshold: effective.semantic.threshold,
          semantic_max_entries: effective.semantic.maxEntries,
          semantic_multi_turn: effective.semantic.multiTurn,
        },
      };
    };
    router
      .route('/v1/admin/tenants/:tenant/cache-policy')
      .get(requireScope('admin:read'), async (request: Request, response: Response) => {
        response.json(await view(tenantSchema.parse(request.params.tenant)));
      })
      .put(requireScope('admin'), requireJsonBody, async (request: Request, response: Response) => {
        const tenant = tenantSchema.parse(request.params.tenant);
        const policy = cachePolicySchema.parse(request.body);
        await cachePolicies.write(tenant, policy);
        await audit(request, response, {
          action: 'cache-policy-update',
          tenant,
          target: tenant,
          details: { fields: Object.keys(policy) },
        });
        response.json(await view(tenant));
      })
      .delete(requireScope('admin'), async (request: Request, response: Response) => {
        const tenant = tenantSchema.parse(request.params.tenant);
        await cachePolicies.reset(tenant);
        await audit(request, response, { action: 'cache-policy-reset', tenant, target: tenant });
        response.json(await view(tenant));
      })
      .all(methodNotAllowed(['GET', 'PUT', 'DELETE']));
  }

  router
    .route('/v1/admin/audit')
    .get(requireScope('admin:read'), async (request: Request, response: Response) => {
      const query = auditQuerySchema.parse(request.query);
      const entries = await auditLog.list(query);
      const last = entries.at(-1);
      response.json({
        object: 'list',
        data: entries,
        next_before: entries.length === query.limit && last ? last.id : null,
      });
    })
    .all(methodNotAllowed(['GET']));

  return router;
}

function validKeyId(request: Request): string {
  const id = request.params.id;
  if (typeof id !== 'string' || !keyIdPattern.test(id)) throw keyNotFound();
  return id;
}

function keyNotFound(): ClientError {
  return new ClientError('api_key_not_found', 'no such API key');
}
