import {
  type AddressPolicy,
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
import { ApiError, methodNotAllowed } from '../http/api-error';
import { requireJsonBody } from '../http/require-json-body';

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
 */
export function webhooksRouter(options: {
  store: JobStore;
  webhooks: WebhookApiDependencies;
}): Router {
  const { store, webhooks } = options;
  const { endpoints, deliveries } = webhooks;
  const router = Router();

  router
    .route('/v1/webhook-endpoints')
    .post(requireJsonBody, async (request: Request, response: Response) => {
      const body = webhookEndpointRequestSchema.parse(request.body);
      await checkUrl(webhooks, body.url);
      const endpoint = await endpoints.create(tenantOf(response), body);
      response.status(201).json({ ...toEndpointView(endpoint), secret: endpoint.secrets.current });
    })
    .get(async (_request: Request, response: Response) => {
      const list = await endpoints.list(tenantOf(response));
      response.json({ object: 'list', data: list.map(toEndpointView) });
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/v1/webhook-endpoints/:id')
    .get(async (request: Request, response: Response) => {
      response.json(toEndpointView(await ownEndpoint(request, response)));
    })
    .delete(async (request: Request, response: Response) => {
      const id = validId(request, endpointIdPattern, endpointNotFound);
      if (!(await endpoints.delete(tenantOf(response), id))) throw endpointNotFound();
      response.json({ id, object: 'webhook_endpoint', deleted: true });
    })
    .all(methodNotAllowed(['GET', 'DELETE']));

  router
    .route('/v1/webhook-endpoints/:id/secret')
    .get(async (request: Request, response: Response) => {
      const endpoint = await ownEndpoint(request, response);
      response.json(toSecretView(endpoint.secrets));
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/webhook-endpoints/:id/rotate')
    .post(async (request: Request, response: Response) => {
      const id = validId(request, endpointIdPattern, endpointNotFound);
      const endpoint = await endpoints.rotate(tenantOf(response), id);
      if (!endpoint) throw endpointNotFound();
      response.json(toSecretView(endpoint.secrets));
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/webhook-secret')
    .get(async (_request: Request, response: Response) => {
      response.json(toSecretView(await endpoints.tenantSecrets(tenantOf(response))));
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/v1/webhook-secret/rotate')
    .post(async (_request: Request, response: Response) => {
      response.json(toSecretView(await endpoints.rotateTenantSecrets(tenantOf(response))));
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/v1/jobs/:id/deliveries')
    .get(async (request: Request, response: Response) => {
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
    .post(async (request: Request, response: Response) => {
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
    throw new ApiError(400, 'webhook_url_not_allowed', error.message, { url });
  }
}

function toEndpointView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint' as const,
    url: endpoint.url,
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

function validId(request: Request, pattern: RegExp, notFound: () => ApiError): string {
  const id = request.params.id;
  if (typeof id !== 'string' || !pattern.test(id)) throw notFound();
  return id;
}

function endpointNotFound(): ApiError {
  return new ApiError(404, 'webhook_endpoint_not_found', 'no such webhook endpoint');
}

function deliveryNotFound(): ApiError {
  return new ApiError(404, 'webhook_delivery_not_found', 'no such webhook delivery');
}

function jobNotFound(): ApiError {
  return new ApiError(404, 'job_not_found', 'no such job');
}
