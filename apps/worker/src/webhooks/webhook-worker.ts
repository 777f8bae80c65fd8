import {
  jobCatalog,
  type Logger,
  logWorkerError,
  type RedisKeys,
  type WebhookOutboxRelay,
  webhookRetryDelay,
} from '@llmq/core';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeWorkers } from '../worker-lifecycle';
import type { createWebhookDeliveryProcessor } from './webhook-delivery-processor';

export interface WebhookWorkerOptions {
  connection: Redis;
  keys: RedisKeys;
  logger: Logger;
  processor: ReturnType<typeof createWebhookDeliveryProcessor>;
  relay: WebhookOutboxRelay;
  /** Delays before each retry, ms (env `WEBHOOK_RETRY_DELAYS_MS`). */
  retryDelaysMs: readonly number[];
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

export interface RunningWebhookWorker {
  worker: Worker;
  close(timeoutMs: number): Promise<void>;
}

/**
 * The webhook delivery worker and the outbox relay feeding it. A delivery whose worker dies
 * mid-POST is taken again by a live worker once its lock lapses (stalled-job recovery), with
 * the same `webhook-id`; the delivery record keeps its success logged once.
 */
export async function startWebhookWorker(
  options: WebhookWorkerOptions,
): Promise<RunningWebhookWorker> {
  const worker = new Worker(jobCatalog['webhook-delivery'].queue, options.processor, {
    connection: options.connection,
    prefix: options.keys.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // A receiver that hangs up our worker again and again must not end the delivery early.
    maxStalledCount: 5,
    settings: {
      backoffStrategy: (attemptsMade: number) =>
        webhookRetryDelay(options.retryDelaysMs, attemptsMade),
    },
  });
  worker.on('error', logWorkerError(options.logger));
  await worker.waitUntilReady();
  await options.relay.start();
  return {
    worker,
    async close(timeoutMs) {
      await options.relay.close();
      await closeWorkers([worker], timeoutMs);
    },
  };
}
