import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import { ensureScript, recordScript, replayScript } from './webhook-delivery-store-scripts';
import { type WebhookDeliveryEvent, webhookDeliveryEventSchema } from './webhook-event';
import type { DeliveryAttemptOutcome } from './webhook-sender';

/** Where a delivery stands. `endpoint_disabled`: the receiver answered 410 or was disabled. */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'endpoint_disabled';

/** One event for one URL, with every attempt to deliver it. */
export interface WebhookDelivery {
  /** `dlv_…`, derived from the job, the event and the target: the same however often it is made. */
  id: string;
  /** `msg_…`, the `webhook-id` header: the same on every attempt and replay. */
  messageId: string;
  tenant: string;
  jobId: string;
  event: WebhookDeliveryEvent;
  url: string;
  /** The tenant endpoint it goes to; absent for a job's own webhook. */
  endpointId?: string;
  status: DeliveryStatus;
  /** 0 for the scheduled delivery, n for the n-th replay. */
  run: number;
  attemptCount: number;
  createdAt: number;
  /** The exact body that is signed and sent on every attempt. */
  body: string;
}

/** One attempt as the delivery log shows it. */
export interface DeliveryAttempt {
  /** ISO time the attempt ended. */
  at: string;
  run: number;
  outcome: DeliveryAttemptOutcome;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
}

export type RecordOutcome = 'recorded' | 'duplicate' | 'stale' | 'missing';

export interface WebhookDeliveryStoreOptions {
  /** How long delivery logs are kept, seconds (env `WEBHOOK_LOG_TTL_SECONDS`, default 7 days). */
  ttlSeconds?: number;
}

/** Webhook deliveries and their attempt logs, in Redis. */
export class WebhookDeliveryStore {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: WebhookDeliveryStoreOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 7 * 86_400;
  }

  /** Creates the delivery unless it exists; true when this call created it. */
  async ensure(
    delivery: Omit<WebhookDelivery, 'status' | 'run' | 'attemptCount'>,
  ): Promise<boolean> {
    const fields: (string | number)[] = [
      'id',
      delivery.id,
      'message_id',
      delivery.messageId,
      'tenant',
      delivery.tenant,
      'job_id',
      delivery.jobId,
      'event',
      delivery.event,
      'url',
      delivery.url,
      'status',
      'pending',
      'run',
      0,
      'attempt_count',
      0,
      'created_at',
      delivery.createdAt,
      'body',
      delivery.body,
    ];
    if (delivery.endpointId) fields.push('endpoint_id', delivery.endpointId);
    const created = await ensureScript.run(
      this.redis,
      [this.keys.webhookDelivery(delivery.id), this.keys.jobWebhookDeliveries(delivery.jobId)],
      [this.ttlSeconds, delivery.id, ...fields],
    );
    return created === 1;
  }

  async get(deliveryId: string): Promise<WebhookDelivery | null> {
    return parseDelivery(await this.redis.hgetall(this.keys.webhookDelivery(deliveryId)));
  }

  /** A delivery of this tenant, or null. */
  async getForTenant(tenant: string, deliveryId: string): Promise<WebhookDelivery | null> {
    const delivery = await this.get(deliveryId);
    return delivery?.tenant === tenant ? delivery : null;
  }

  /** The tenant's deliveries of one job, each with its attempts, oldest first. */
  async listForJob(
    tenant: string,
    jobId: string,
  ): Promise<{ delivery: WebhookDelivery; attempts: DeliveryAttempt[] }[]> {
    const ids = await this.redis.smembers(this.keys.jobWebhookDeliveries(jobId));
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.hgetall(this.keys.webhookDelivery(id));
      pipeline.lrange(this.keys.webhookDeliveryAttempts(id), 0, -1);
    }
    const results = ids.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    const entries: { delivery: WebhookDelivery; attempts: DeliveryAttempt[] }[] = [];
    for (let index = 0; index < results.length; index += 2) {
      const delivery = parseDelivery(results[index]?.[1] as Record<string, string>);
      if (delivery?.tenant !== tenant) continue;
      const attempts = ((results[index + 1]?.[1] as string[]) ?? []).map(
        (line) => JSON.parse(line) as DeliveryAttempt,
      );
      entries.push({ delivery, attempts });
    }
    return entries.sort((a, b) => a.delivery.createdAt - b.delivery.createdAt);
  }

  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    const lines = await this.redis.lrange(this.keys.webhookDeliveryAttempts(deliveryId), 0, -1);
    return lines.map((line) => JSON.parse(line) as DeliveryAttempt);
  }

  /**
   * Logs one attempt of run `run`; `status` is the delivery's new status ('' keeps it).
   * 'duplicate' when that run already succeeded, 'stale' when a replay superseded it.
   */
  async recordAttempt(
    deliveryId: string,
    attempt: DeliveryAttempt,
    status: DeliveryStatus | '',
  ): Promise<RecordOutcome> {
    return (await recordScript.run(
      this.redis,
      [this.keys.webhookDelivery(deliveryId), this.keys.webhookDeliveryAttempts(deliveryId)],
      [attempt.run, JSON.stringify(attempt), status, this.ttlSeconds],
    )) as RecordOutcome;
  }

  /** Starts a replay of a tenant's delivery; its run number, or null when not the tenant's. */
  async startReplay(tenant: string, deliveryId: string): Promise<number | null> {
    const run = Number(
      await replayScript.run(this.redis, [this.keys.webhookDelivery(deliveryId)], [tenant]),
    );
    return run < 0 ? null : run;
  }
}

function parseDelivery(fields: Record<string, string> | undefined): WebhookDelivery | null {
  if (!fields?.id || !fields.tenant) return null;
  const event = webhookDeliveryEventSchema.safeParse(fields.event);
  if (!event.success) return null;
  return {
    id: fields.id,
    messageId: fields.message_id ?? '',
    tenant: fields.tenant,
    jobId: fields.job_id ?? '',
    event: event.data,
    url: fields.url ?? '',
    endpointId: fields.endpoint_id || undefined,
    status: (fields.status ?? 'pending') as DeliveryStatus,
    run: Number(fields.run ?? 0),
    attemptCount: Number(fields.attempt_count ?? 0),
    createdAt: Number(fields.created_at ?? 0),
    body: fields.body ?? '',
  };
}

/** The JSON a client sees for a delivery (`GET /v1/jobs/:id/deliveries`). */
export function toDeliveryView(delivery: WebhookDelivery, attempts: DeliveryAttempt[]) {
  return {
    id: delivery.id,
    object: 'webhook_delivery' as const,
    message_id: delivery.messageId,
    job_id: delivery.jobId,
    event: delivery.event,
    url: delivery.url,
    endpoint_id: delivery.endpointId ?? null,
    status: delivery.status,
    created_at: new Date(delivery.createdAt).toISOString(),
    attempts,
  };
}
