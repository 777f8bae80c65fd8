import {
  type DeliveryStatus,
  type Logger,
  signingSecrets,
  signWebhook,
  type WebhookDeliveryStore,
  type WebhookEndpointStore,
  type WebhookMetrics,
  type WebhookSender,
  webhookDeliveryJobDataSchema,
} from '@llmq/core';
import { type Job, UnrecoverableError } from 'bullmq';

export interface WebhookDeliveryProcessorOptions {
  deliveries: WebhookDeliveryStore;
  endpoints: WebhookEndpointStore;
  sender: WebhookSender;
  metrics: WebhookMetrics;
  logger: Logger;
}

/** Thrown to make BullMQ retry a delivery on its schedule. */
class DeliveryAttemptFailed extends Error {
  override readonly name = 'DeliveryAttemptFailed';
}

/**
 * Runs one attempt of one webhook delivery: sign (current and, during a rotation, previous
 * secret), POST, log the attempt. 2xx ends it; 410 Gone disables the endpoint and ends it;
 * anything else throws so BullMQ retries on the schedule, until the last attempt marks it
 * failed. Re-running a delivery that already succeeded (a stalled job taken twice) sends
 * nothing.
 */
export function createWebhookDeliveryProcessor(options: WebhookDeliveryProcessorOptions) {
  const { deliveries, endpoints, sender, metrics, logger } = options;
  return async function deliverWebhook(job: Job): Promise<void> {
    const parsed = webhookDeliveryJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('invalid webhook delivery job data');
    const { deliveryId, run } = parsed.data;
    const delivery = await deliveries.get(deliveryId);
    // Only a pending delivery of this run is sent: a superseded run, a success already logged
    // or a delivery given up on is left alone (a stale or re-added job sends nothing).
    if (!delivery || delivery.run !== run || delivery.status !== 'pending') return;
    const log = {
      delivery_id: deliveryId,
      job_id: delivery.jobId,
      tenant: delivery.tenant,
      webhook_event: delivery.event,
      run,
      attempt: job.attemptsMade + 1,
    };

    const secrets = await secretsFor(options, delivery, run);
    if (!secrets) return;

    const headers = signWebhook({
      messageId: delivery.messageId,
      timestamp: new Date(),
      body: delivery.body,
      secrets,
    });
    const result = await sender.send(delivery.url, { ...headers }, delivery.body);
    metrics.record({ outcome: result.outcome, event: delivery.event, latencyMs: result.latencyMs });

    const attempts = job.opts.attempts ?? 1;
    const last = job.attemptsMade + 1 >= attempts;
    const status = statusAfter(result.outcome, delivery.endpointId !== undefined, last);
    const recorded = await deliveries.recordAttempt(
      deliveryId,
      {
        at: new Date().toISOString(),
        run,
        outcome: result.outcome,
        status_code: result.statusCode ?? null,
        latency_ms: result.latencyMs,
        error: result.error ?? null,
      },
      status,
    );
    logger.log(result.outcome === 'succeeded' ? 'info' : 'warn', 'webhook-attempt', {
      event: 'webhook-attempt',
      ...log,
      outcome: result.outcome,
      status_code: result.statusCode,
      latency_ms: result.latencyMs,
      recorded,
    });
    if (result.outcome === 'succeeded' || recorded !== 'recorded') return;
    if (result.outcome === 'gone') {
      if (delivery.endpointId)
        await endpoints.disable(delivery.endpointId, 'the receiver answered 410 Gone');
      throw new UnrecoverableError('the receiver answered 410 Gone');
    }
    throw new DeliveryAttemptFailed(result.error ?? result.outcome);
  };
}

/**
 * The secrets that sign a delivery: its endpoint's, or the tenant's. A deleted or disabled
 * endpoint ends the delivery instead (recorded `gone`); undefined then.
 */
async function secretsFor(
  { deliveries, endpoints }: WebhookDeliveryProcessorOptions,
  delivery: NonNullable<Awaited<ReturnType<WebhookDeliveryProcessorOptions['deliveries']['get']>>>,
  run: number,
): Promise<string[] | undefined> {
  if (!delivery.endpointId) return signingSecrets(await endpoints.tenantSecrets(delivery.tenant));
  const endpoint = await endpoints.getById(delivery.endpointId);
  if (endpoint && !endpoint.disabled) return signingSecrets(endpoint.secrets);
  await deliveries.recordAttempt(
    delivery.id,
    {
      at: new Date().toISOString(),
      run,
      outcome: 'gone',
      status_code: null,
      latency_ms: 0,
      error: endpoint ? 'the endpoint is disabled' : 'the endpoint was deleted',
    },
    'endpoint_disabled',
  );
  return undefined;
}

/** The delivery's status after an attempt; '' while it is still pending. */
function statusAfter(
  outcome: string,
  hasEndpoint: boolean,
  lastAttempt: boolean,
): DeliveryStatus | '' {
  if (outcome === 'succeeded') return 'succeeded';
  if (outcome === 'gone') return hasEndpoint ? 'endpoint_disabled' : 'failed';
  return lastAttempt ? 'failed' : '';
}
