import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { toBatchView } from '../batches/batch-record';
import type { BatchStore } from '../batches/batch-store';
import { jobCatalog, type WebhookDeliveryJobData } from '../jobs/job-catalog';
import type { JobStore } from '../jobs/job-store';
import { toJobView } from '../jobs/job-view';
import type { RedisKeys } from '../redis/redis-keys';
import type { Logger } from '../telemetry/logger';
import type { WebhookDeliveryStore } from './webhook-delivery-store';
import type { WebhookEndpointStore } from './webhook-endpoint-store';
import { eventForJobStatus, type WebhookEventType, type WebhookPayload } from './webhook-event';

const groupName = 'webhook-relay';

export interface WebhookOutboxRelayOptions {
  /** A connection of its own: the relay blocks on it (XREADGROUP BLOCK). */
  connection: Redis;
  keys: RedisKeys;
  jobs: JobStore;
  /** Batches, for `batch.completed` entries; without it those entries are dropped. */
  batches?: BatchStore;
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  /** The `webhook-delivery` queue. */
  queue: Queue;
  logger: Logger;
  /** Unique per process, e.g. `host-pid`. */
  consumer: string;
  /** Attempts per delivery (the retry schedule's length + 1). */
  attempts: number;
  /** An entry a dead relay took is re-taken after this long, ms (default 30000). */
  claimIdleMs?: number;
  /** How long one read blocks, ms (default 1000); also the longest `close()` waits. */
  blockMs?: number;
}

/**
 * Turns job-end events from the outbox stream into webhook deliveries. Each entry becomes one
 * delivery per target (the job's own webhook, each subscribed tenant endpoint) with an id
 * derived from (job, event, target), and a BullMQ job with that id; only then is the entry
 * acknowledged and deleted. A relay that dies in between leaves the entry pending in the
 * consumer group, and any relay re-takes it after `claimIdleMs`: re-processing it is a no-op
 * (the delivery exists, the BullMQ job id is taken), so no event is lost or doubled.
 */
export class WebhookOutboxRelay {
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: WebhookOutboxRelayOptions) {}

  async start(): Promise<void> {
    const { connection, keys } = this.options;
    try {
      await connection.xgroup('CREATE', keys.webhookOutbox(), groupName, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('BUSYGROUP'))) throw error;
    }
    this.loop = this.run();
  }

  async close(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { connection, keys, consumer, logger } = this.options;
    const stream = keys.webhookOutbox();
    const claimIdleMs = this.options.claimIdleMs ?? 30_000;
    let lastClaimAt = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - lastClaimAt >= Math.min(claimIdleMs, 5000)) {
          lastClaimAt = Date.now();
          const claimed = (await connection.xautoclaim(
            stream,
            groupName,
            consumer,
            claimIdleMs,
            '0-0',
            'COUNT',
            100,
          )) as [string, [string, string[]][]];
          await this.processEntries(claimed[1] ?? []);
        }
        const read = (await connection.xreadgroup(
          'GROUP',
          groupName,
          consumer,
          'COUNT',
          100,
          'BLOCK',
          this.options.blockMs ?? 1000,
          'STREAMS',
          stream,
          '>',
        )) as [string, [string, string[]][]][] | null;
        await this.processEntries(read?.[0]?.[1] ?? []);
      } catch (error) {
        if (this.stopping) break;
        logger.warn('webhook-relay-error', {
          event: 'webhook-relay-error',
          error: error instanceof Error ? error.message : String(error),
        });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async processEntries(entries: [string, string[]][]): Promise<void> {
    const { connection, keys } = this.options;
    for (const [entryId, flat] of entries) {
      // A deleted entry comes back from XAUTOCLAIM as null fields: nothing left to do.
      if (flat) {
        const fields: Record<string, string> = {};
        for (let index = 0; index + 1 < flat.length; index += 2)
          fields[flat[index] as string] = flat[index + 1] as string;
        if (fields.job_id && fields.status) await this.relay(fields.job_id, fields.status);
        else if (fields.batch_id && fields.status === 'completed')
          await this.relayBatch(fields.batch_id);
      }
      await connection
        .multi()
        .xack(keys.webhookOutbox(), groupName, entryId)
        .xdel(keys.webhookOutbox(), entryId)
        .exec();
    }
  }

  /** Creates and enqueues the deliveries of one job end. Idempotent. */
  async relay(jobId: string, status: string): Promise<void> {
    const event = eventForJobStatus(status);
    const record = await this.options.jobs.get(jobId);
    if (!event || !record) return;
    const targets: { key: string; url: string; endpointId?: string }[] = [];
    if (event !== 'batch.completed' && record.webhook?.events.includes(event))
      targets.push({ key: 'job', url: record.webhook.url });
    for (const endpoint of await this.options.endpoints.list(record.tenant)) {
      if (!endpoint.disabled && endpoint.events.includes(event))
        targets.push({ key: endpoint.id, url: endpoint.url, endpointId: endpoint.id });
    }
    await this.deliver(jobId, record.tenant, event, targets, {
      type: event,
      timestamp: new Date(record.finishedAt ?? Date.now()).toISOString(),
      data: toJobView(record),
    });
  }

  /**
   * Creates and enqueues the `batch.completed` deliveries of one batch, to the tenant's
   * endpoints subscribed to it (the body's `data` is the batch as polled). Idempotent.
   */
  async relayBatch(batchId: string): Promise<void> {
    const batch = await this.options.batches?.get(batchId);
    if (batch?.status !== 'completed') return;
    const event = 'batch.completed';
    const targets = (await this.options.endpoints.list(batch.tenant))
      .filter((endpoint) => !endpoint.disabled && endpoint.events.includes(event))
      .map((endpoint) => ({ key: endpoint.id, url: endpoint.url, endpointId: endpoint.id }));
    await this.deliver(batchId, batch.tenant, event, targets, {
      type: event,
      timestamp: new Date(batch.completedAt ?? Date.now()).toISOString(),
      data: toBatchView(batch),
    });
  }

  /** One delivery and one BullMQ job per target; `sourceId` is the job or batch id. */
  private async deliver(
    sourceId: string,
    tenant: string,
    event: WebhookEventType,
    targets: { key: string; url: string; endpointId?: string }[],
    payload: WebhookPayload,
  ): Promise<void> {
    if (targets.length === 0) return;
    const body = JSON.stringify(payload);
    const messageId = `msg_${digest(`${sourceId}|${event}`)}`;
    for (const target of targets) {
      const deliveryId = `dlv_${digest(`${sourceId}|${event}|${target.key}`)}`;
      await this.options.deliveries.ensure({
        id: deliveryId,
        messageId,
        tenant,
        jobId: sourceId,
        event,
        url: target.url,
        endpointId: target.endpointId,
        createdAt: Date.now(),
        body,
      });
      const data: WebhookDeliveryJobData = { deliveryId, run: 0 };
      await this.options.queue.add('webhook-delivery', data, {
        ...jobCatalog['webhook-delivery'].defaultOptions,
        attempts: this.options.attempts,
        jobId: deliveryId,
      });
    }
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
