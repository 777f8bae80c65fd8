import { hostname } from 'node:os';
import {
  AddressPolicy,
  BatchStore,
  createQueue,
  type JobStore,
  type Logger,
  type RedisKeys,
  WebhookDeliveryStore,
  WebhookEndpointStore,
  WebhookMetrics,
  WebhookOutboxRelay,
  WebhookSender,
} from '@llmq/core';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from '../env';
import { createWebhookDeliveryProcessor } from './webhook-delivery-processor';
import { startWebhookWorker } from './webhook-worker';

export interface RunningWebhooks {
  metrics: WebhookMetrics;
  close(timeoutMs: number): Promise<void>;
}

/** Wires webhook delivery into a worker process: outbox relay, delivery worker, sender. */
export async function startWebhooks(options: {
  env: WorkerEnv;
  connection: Redis;
  keys: RedisKeys;
  store: JobStore;
  logger: Logger;
}): Promise<RunningWebhooks> {
  const { env, connection, keys, store, logger } = options;
  const endpoints = new WebhookEndpointStore(connection, keys, {
    rotationWindowSeconds: env.WEBHOOK_SECRET_ROTATION_SECONDS,
  });
  const deliveries = new WebhookDeliveryStore(connection, keys, {
    ttlSeconds: env.WEBHOOK_LOG_TTL_SECONDS,
  });
  const sender = new WebhookSender({
    policy: new AddressPolicy(env.WEBHOOK_ALLOWED_HOSTS),
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
  });
  const metrics = new WebhookMetrics();
  const queue = createQueue('webhook-delivery', connection, keys);
  const relayConnection = connection.duplicate();
  const relay = new WebhookOutboxRelay({
    connection: relayConnection,
    keys,
    jobs: store,
    // Read only: `batch.completed` entries carry the batch id.
    batches: new BatchStore(connection, keys, { ttlSeconds: env.FILE_TTL_SECONDS }),
    endpoints,
    deliveries,
    queue,
    logger,
    consumer: `${hostname()}-${process.pid}`,
    attempts: env.WEBHOOK_RETRY_DELAYS_MS.length + 1,
    claimIdleMs: env.WEBHOOK_RELAY_CLAIM_IDLE_MS,
  });
  const running = await startWebhookWorker({
    connection,
    keys,
    logger,
    relay,
    processor: createWebhookDeliveryProcessor({ deliveries, endpoints, sender, metrics, logger }),
    retryDelaysMs: env.WEBHOOK_RETRY_DELAYS_MS,
    concurrency: env.WEBHOOK_CONCURRENCY,
    lockDurationMs: env.LOCK_DURATION_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS ?? env.LOCK_DURATION_MS,
  });
  return {
    metrics,
    async close(timeoutMs) {
      await running.close(timeoutMs);
      await queue.close();
      sender.close();
      await relayConnection.quit().catch(() => undefined);
    },
  };
}
