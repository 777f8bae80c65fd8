import {
  type AddressPolicy,
  type AuditLog,
  ClientError,
  checkWebhookUrl,
  isWebhookUrlError,
  type JobStore,
  jobCatalog,
  type ResolveHost,
  toDeliveryView,
  type WebhookDeliveryJobData,
  type WebhookDeliveryStore,
  type WebhookEndpoint,
  type WebhookEndpointStore,
  webhookEndpointRequestSchema,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import { type Request, type Response, Router } from 'express';
import { methodNotAllowed } from '../http/api-error';
import { type AuditedAction, auditSuccess } from '../http/audit-success';
import { principalOf } from '../http/authenticate';
import { requireJsonBody } from '../http/require-json-body';
import type { RequireScope } from '../http/require-scope';

/** What the webhook routes need; `main.ts` and tests wire it. */
export interface WebhookApiDependencies {
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  /** The `webhook-delivery` queue (replays go there). */
  queue: Queue;
  /** SSRF policy URLs are checked against at registration (env `WEBHOOK_ALLOWED_HOSTS`). */
  policy: AddressPolicy;
  /** DNS resolver for that check; defaults to `dns.lookup`. */
  resolve?: ResolveHost;
}

const endpointIdPattern = /^whep_[0-9a-f]{32}$/;
const deliveryIdPattern = /^dlv_[0-9a-f]{32}$/;
const jobIdPattern = /^job_[0-9a-f]{32}$/;

/**
 * Tenant webhook endpoints (`/v1/webhook-endpoints`, with rotation), the per-job webhook
 * signing secret (`/v1/webhook-secret`), a job's delivery log (`GET /v1/jobs/:id/deliveries`)
 * and replay (`POST /v1/webhook-deliveries/:id/retry`). Another tenant's things answer 404.
 *
 * Scopes: reads of endpoints and delivery logs need `jobs:read`; every change, and every read
 * of signing-secret material (which can forge webhooks), needs `jobs:write`. Endpoint create,
 * rotate and delete are appended to the audit log.
 */
export function webhooksRouter(options: {
  store: JobStore;
  webhooks: WebhookApiDependencies;
  requireScope: RequireScope;
  auditLog: AuditLog;
}): Router {
  const { store, webhooks, requireScope, auditLog } = options;
  const { endpoints, deliveries } = webhooks;
  const router = Router();
  // A tenant's own webhook settings: the action concerns the acting key's tenant.
  const audit = (request: Request, response: Response, action: Omit<AuditedAction, 'tenant'>) =>
    auditSuccess(auditLog, request, response, { ...action, tenant: principalOf(response).tenant });

  router
    .route('/v1/webhook-endpoints')
    .post(
      requireScope('jobs:write'),
      requireJsonBody,
      async (request: Request, response: Response) => {
        const body = webhookEndpointRequestSchema.parse(request.body);
        await checkUrl(webhooks, body.url);
        const endpoint = await endpoints.create(tenantOf(response), body);
        // The URL's host only: paths and queries may carry tokens.
        await audit(request, response, {
          action: 'webhook-endpoint-create',
          target: endpoint.id,
          details: { host: new URL(endpoint.url).host },
        });
        response
          .status(201)
          .json({ ...toEndpointView(endpoint), secret: endpoint.secrets.current });
      },
    )
    .get(requireScope('jobs:read'), async (_request: Request, response: Response) => {
      const list = await endpoints.list(tenantOf(response));
      response.json({ object: 'list', data: list.map(toEndpointView) });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/v1/webhook-endpoints/:id')
    .get(requireScope('jobs:read'), async (request: Request, response: Response) => {
      response.json(toEndpointView(await ownEndpoint(request, response)));
    })
    .delete(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const id = validId(request, endpointIdPattern, endpointNotFound);
      if (!(await endpoints.delete(tenantOf(response), id))) throw endpointNotFound();
      await audit(request, response, { action: 'webhook-endpoint-delete', target: id });
      response.json({ id, object: 'webhook_endpoint', deleted: true });
    })
    .all(methodNotAllowed(['GET', 'DELETE']));

  router
    .route('/v1/webhook-endpoints/:id/secret')
    .get(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const endpoint = await ownEndpoint(request, response);
      response.json(toSecretView(endpoint.secrets));
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/webhook-endpoints/:id/rotate')
    .post(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const id = validId(request, endpointIdPattern, endpointNotFound);
      const endpoint = await endpoints.rotate(tenantOf(response), id);
      if (!endpoint) throw endpointNotFound();
      await audit(request, response, { action: 'webhook-endpoint-rotate', target: id });
      response.json(toSecretView(endpoint.secrets));
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/webhook-secret')
    .get(requireScope('jobs:write'), async (_request: Request, response: Response) => {
      response.json(toSecretView(await endpoints.tenantSecrets(tenantOf(response))));
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/webhook-secret/rotate')
    .post(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const secrets = await endpoints.rotateTenantSecrets(tenantOf(response));
      await audit(request, response, { action: 'webhook-secret-rotate' });
      response.json(toSecretView(secrets));
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/jobs/:id/deliveries')
    .get(requireScope('jobs:read'), async (request: Request, response: Response) => {
      const jobId = validId(request, jobIdPattern, jobNotFound);
      const tenant = tenantOf(response);
      const [record, entries] = await Promise.all([
        store.get(jobId),
        deliveries.listForJob(tenant, jobId),
      ]);
      // The log outlives the job's record; either one proves the job is the tenant's.
      if (record?.tenant !== tenant && entries.length === 0) throw jobNotFound();
      response.json({
        object: 'list',
        data: entries.map(({ delivery, attempts }) => toDeliveryView(delivery, attempts)),
      });
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/webhook-deliveries/:id/retry')
    .post(requireScope('jobs:write'), async (request: Request, response: Response) => {
      const id = validId(request, deliveryIdPattern, deliveryNotFound);
      const run = await deliveries.startReplay(tenantOf(response), id);
      if (run === null) throw deliveryNotFound();
      const data: WebhookDeliveryJobData = { deliveryId: id, run };
      // A replay is one attempt, as a manual resend is; the webhook-id stays the same.
      await webhooks.queue.add('webhook-delivery', data, {
        ...jobCatalog['webhook-delivery'].defaultOptions,
        attempts: 1,
        jobId: `${id}-replay-${run}`,
      });
      const delivery = await deliveries.get(id);
      response
        .status(202)
        .json(delivery ? toDeliveryView(delivery, await deliveries.attempts(id)) : { id });
    })
    .all(methodNotAllowed(['POST']));

  async function ownEndpoint(request: Request, response: Response): Promise<WebhookEndpoint> {
    const id = validId(request, endpointIdPattern, endpointNotFound);
    const endpoint = await endpoints.get(tenantOf(response), id);
    if (!endpoint) throw endpointNotFound();
    return endpoint;
  }

  return router;
}

async function checkUrl(webhooks: WebhookApiDependencies, url: string): Promise<void> {
  try {
    await checkWebhookUrl(url, webhooks.policy, webhooks.resolve);
  } catch (error) {
    if (!isWebhookUrlError(error)) throw error;
    throw new ClientError('webhook_url_not_allowed', error.message, { url });
  }
}

function toEndpointView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint' as const,
    url: endpoint.url,
    format: endpoint.format,
    events: endpoint.events,
    description: endpoint.description ?? null,
    disabled: endpoint.disabled,
    disabled_reason: endpoint.disabledReason ?? null,
    created_at: new Date(endpoint.createdAt).toISOString(),
  };
}

function toSecretView(secrets: WebhookEndpoint['secrets']) {
  const rotating = secrets.previous !== undefined && (secrets.previousExpiresAt ?? 0) > Date.now();
  return {
    secret: secrets.current,
    previous_secret_expires_at:
      rotating && secrets.previousExpiresAt
        ? new Date(secrets.previousExpiresAt).toISOString()
        : null,
  };
}

function tenantOf(response: Response): string {
  return response.locals.tenant as string;
}

function validId(request: Request, pattern: RegExp, notFound: () => ClientError): string {
  const id = request.params.id;
  if (typeof id !== 'string' || !pattern.test(id)) throw notFound();
  return id;
}

function endpointNotFound(): ClientError {
  return new ClientError('webhook_endpoint_not_found', 'no such webhook endpoint');
}

function deliveryNotFound(): ClientError {
  return new ClientError('webhook_delivery_not_found', 'no such webhook delivery');
}

function jobNotFound(): ClientError {
  return new ClientError('job_not_found', 'no such job');
}
