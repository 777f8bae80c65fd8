import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type BatchRecord, toBatchView } from '../batches/batch-record';
import type { BatchStore } from '../batches/batch-store';
import {
  messageBatchResultsPath,
  toMessageBatchView,
} from '../batches/message-batches/message-batch-view';
import { responseIdOfJob } from '../dialects/openai-responses/response-id';
import { jobCatalog, type WebhookDeliveryJobData } from '../jobs/job-catalog';
import type { JobStore } from '../jobs/job-store';
import { toJobView } from '../jobs/job-view';
import type { RedisKeys } from '../redis/redis-keys';
import type { Logger } from '../telemetry/logger';
import {
  type OpenAiWebhookBody,
  openAiEventForJob,
  openAiWebhookBody,
} from './openai-webhook-event';
import type { WebhookDeliveryStore } from './webhook-delivery-store';
import type { WebhookEndpoint, WebhookEndpointStore } from './webhook-endpoint-store';
import {
  eventForBatchStatus,
  eventForJobStatus,
  type WebhookDeliveryEvent,
  type WebhookFormat,
  type WebhookPayload,
} from './webhook-event';

const groupName = 'webhook-relay';

export interface WebhookOutboxRelayOptions {
  /** A connection of its own: the relay blocks on it (XREADGROUP BLOCK). */
  connection: Redis;
  keys: RedisKeys;
  jobs: JobStore;
  /** Batches, for `batch.*` entries; without it those entries are dropped. */
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
        else if (fields.batch_id && fields.status)
          await this.relayBatch(fields.batch_id, fields.status);
      }
      await connection
        .multi()
        .xack(keys.webhookOutbox(), groupName, entryId)
        .xdel(keys.webhookOutbox(), entryId)
        .exec();
    }
  }

  /**
   * Creates and enqueues the deliveries of one job end: the llmq event to the job's own webhook
   * and the llmq endpoints subscribed to it; for a `/v1/responses` job, the `response.*` event
   * to the OpenAI endpoints subscribed to it. Idempotent.
   */
  async relay(jobId: string, status: string): Promise<void> {
    const record = await this.options.jobs.get(jobId);
    if (!record) return;
    const endpoints = await this.liveEndpoints(record.tenant);
    const occurredAt = record.finishedAt ?? Date.now();
    const event = eventForJobStatus(status);
    if (event) {
      const targets: Target[] = [];
      if (record.webhook?.events.includes(event))
        targets.push({ key: 'job', url: record.webhook.url });
      targets.push(...endpointTargets(endpoints, 'llmq', event));
      await this.deliver(jobId, record.tenant, event, 'llmq', targets, () => ({
        type: event,
        timestamp: new Date(occurredAt).toISOString(),
        data: toJobView(record),
      }));
    }
    const openAiEvent = openAiEventForJob(status, record);
    if (openAiEvent) {
      const targets = endpointTargets(endpoints, 'openai', openAiEvent);
      await this.deliver(jobId, record.tenant, openAiEvent, 'openai', targets, (eventId) =>
        openAiWebhookBody({
          eventId,
          type: openAiEvent,
          createdAt: occurredAt,
          subjectId: responseIdOfJob(jobId),
        }),
      );
    }
  }

  /**
   * Creates and enqueues the deliveries of one batch end (`batch.completed`, `failed`,
   * `expired` or `cancelled`) to the tenant's endpoints subscribed to it, in each endpoint's
   * format (llmq's `data` is the batch as polled; OpenAI's is `{id}`). An Anthropic Message
   * Batch (`msgbatch_…`) goes to llmq endpoints only, its `data` the `message_batch` object
   * `GET /v1/messages/batches/:id` shows: OpenAI has no event for it, and a `batch.*` event
   * naming it would send an OpenAI receiver to `GET /v1/batches/msgbatch_…`, a 404.
   * Idempotent.
   */
  async relayBatch(batchId: string, status: string): Promise<void> {
    const batch = await this.options.batches?.get(batchId);
    const event = eventForBatchStatus(status);
    if (!batch || !event || batch.status !== status) return;
    const endpoints = await this.liveEndpoints(batch.tenant);
    const occurredAt = batchEndedAt(batch) ?? Date.now();
    const isMessageBatch = batch.endpoint === '/v1/messages';
    await this.deliver(
      batchId,
      batch.tenant,
      event,
      'llmq',
      endpointTargets(endpoints, 'llmq', event),
      () => ({
        type: event,
        timestamp: new Date(occurredAt).toISOString(),
        data: isMessageBatch
          ? toMessageBatchView(batch, messageBatchResultsPath(batch.id))
          : toBatchView(batch),
      }),
    );
    if (isMessageBatch) return;
    await this.deliver(
      batchId,
      batch.tenant,
      event,
      'openai',
      endpointTargets(endpoints, 'openai', event),
      (eventId) =>
        openAiWebhookBody({ eventId, type: event, createdAt: occurredAt, subjectId: batchId }),
    );
  }

  private async liveEndpoints(tenant: string): Promise<WebhookEndpoint[]> {
    return (await this.options.endpoints.list(tenant)).filter((endpoint) => !endpoint.disabled);
  }

  /**
   * One delivery and one BullMQ job per target; `sourceId` is the job or batch id. The body is
   * built once (only when there is a target) and stored with the delivery, so every attempt
   * and replay sends the same bytes. The message id (`webhook-id`) and OpenAI's event id are
   * derived from the source and the event, so a re-processed entry makes the same ones; an
   * OpenAI message of an event llmq endpoints also get (`batch.*`) has its own message id, as
   * its body differs.
   */
  private async deliver(
    sourceId: string,
    tenant: string,
    event: WebhookDeliveryEvent,
    format: WebhookFormat,
    targets: Target[],
    payload: (eventId: string) => WebhookPayload | OpenAiWebhookBody,
  ): Promise<void> {
    if (targets.length === 0) return;
    const eventDigest = digest(`${sourceId}|${event}`);
    const body = JSON.stringify(payload(`evt_${eventDigest}`));
    const messageId =
      format === 'llmq' ? `msg_${eventDigest}` : `msg_${digest(`${sourceId}|${event}|${format}`)}`;
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

/** Where one delivery goes; `key` tells the targets of one event apart in the delivery id. */
interface Target {
  key: string;
  url: string;
  endpointId?: string;
}

/** The endpoints of `format` subscribed to `event`. */
function endpointTargets(
  endpoints: readonly WebhookEndpoint[],
  format: WebhookFormat,
  event: WebhookDeliveryEvent,
): Target[] {
  return endpoints
    .filter((endpoint) => endpoint.format === format && endpoint.events.includes(event))
    .map((endpoint) => ({ key: endpoint.id, url: endpoint.url, endpointId: endpoint.id }));
}

/** When a batch reached its final status, epoch ms. */
function batchEndedAt(batch: BatchRecord): number | undefined {
  if (batch.status === 'completed') return batch.completedAt;
  if (batch.status === 'failed') return batch.failedAt;
  if (batch.status === 'expired') return batch.expiredAt;
  if (batch.status === 'cancelled') return batch.cancelledAt;
  return undefined;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
