import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import {
  anyBatchLineJobDataSchema,
  batchControlJobDataSchema,
  providerBatchJobDataSchema,
} from '../batches/batch-jobs';
import { cacheModeSchema } from '../cache/cache-mode';
import { cacheRequestOptionsSchema } from '../cache/cache-policy';
import { serviceTierSchema } from '../catalog/service-tier';
import { queueNames } from '../queues/queue-names';
import { endpointJobDataSchema } from './endpoint-job';
import { jobProgressSchema } from './job-progress';
import { hedgeSchema, normalizedRequestSchema, requirementsSchema } from './job-request';

export { type JobProgress, jobProgressSchema } from './job-progress';

/** Data carried by a queued prompt job; the API builds it, the worker parses it on dequeue. */
export const promptJobDataSchema = z.object({
  jobId: z.string().min(1),
  tenant: z.string().min(1),
  /** Catalog model id (aliases already resolved), or `auto`. */
  model: z.string().min(1),
  request: normalizedRequestSchema,
  requirements: requirementsSchema.optional(),
  hedge: hedgeSchema.optional(),
  /** Speculative execution, its models resolved to catalog ids when the job was submitted. */
  speculative: z
    .object({ fast_model: z.string().min(1), upgrade_model: z.string().min(1) })
    .optional(),
  fallbacks: z.boolean().optional(),
  /**
   * `request`'s estimated input tokens as routing counted them at submit (see
   * `estimateInputTokens`): the worker routes the job again with this count instead of
   * counting again. Absent (a job queued before it was carried), the worker counts.
   */
  inputTokens: z.number().int().nonnegative().optional(),
  /** The tier chosen at submit (see `chooseJobTier`); absent: standard. */
  serviceTier: serviceTierSchema.optional(),
  /** The job's deadline (`complete_by`), epoch ms. */
  completeBy: z.number().int().optional(),
  progress: jobProgressSchema.optional(),
  createdAt: z.number().int(),
  /** The submitting HTTP request's id, so worker log lines join the API's. */
  requestId: z.string().max(128).optional(),
  /** W3C trace context of the submitting request: the worker's job span continues this trace. */
  traceparent: z.string().max(64).optional(),
  tracestate: z.string().max(512).optional(),
  /** Publish token deltas to the job's event stream as they arrive (streamed requests). */
  stream: z.boolean().optional(),
  /**
   * Watch the job's stop flag while a non-streamed call runs, as sync requests' jobs are
   * watched: a background response, which its client may cancel mid-answer.
   */
  stoppable: z.boolean().optional(),
  /** How the job uses the exact cache (see `CacheMode`); absent means `auto`. */
  cache: cacheModeSchema.optional(),
  /** The request's `cache_options` (TTL, similarity threshold, semantic opt-out). */
  cacheOptions: cacheRequestOptionsSchema.optional(),
  /** Not started by then (epoch ms), the job fails `deadline_exceeded` without a provider call. */
  startBy: z.number().int().optional(),
  /**
   * The submitting API key (its public id) and its `max_running_jobs` when it had one at
   * submit: the worker caps the key's running jobs with it (see docs/flow-control.md).
   */
  apiKey: z
    .object({ id: z.string().min(1).max(128), maxRunningJobs: z.number().int().positive() })
    .optional(),
  /**
   * True when the submit reserved no budget for the job (no limit could apply to its tenant):
   * the job's end has no reservation to release and does not look for one (see
   * {@link reservationToRelease}). A dead-letter retry, which may reserve, drops it. Absent (a
   * job that reserved, or one queued before this was written), the end releases the job's
   * reservation, if any.
   */
  noReservation: z.literal(true).optional(),
});
export type PromptJobData = z.infer<typeof promptJobDataSchema>;

/**
 * The budget reservation a prompt job's end releases in its ledger write: the job's id, unless
 * its submit reserved nothing (`noReservation`), which saves the final transition a read of the
 * tenant's reservations.
 */
export function reservationToRelease(
  data: Pick<PromptJobData, 'jobId' | 'noReservation'>,
): string | undefined {
  return data.noReservation ? undefined : data.jobId;
}

/** Data of a webhook delivery job: which delivery, and which run of it (0, or a replay's n). */
export const webhookDeliveryJobDataSchema = z.object({
  deliveryId: z.string().min(1),
  run: z.number().int().min(0),
});
export type WebhookDeliveryJobData = z.infer<typeof webhookDeliveryJobDataSchema>;

/** Retention of BullMQ's own job entries; results live in the job store, not here. */
const retention = {
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 24 * 3600, count: 5000 },
} satisfies JobsOptions;

/**
 * Every job name maps to its queue, schema and default options, in this one place
 * (compare trigger.dev's WorkerCatalog). `attempts` is overridden from configuration.
 */
export const jobCatalog = {
  prompt: {
    queue: queueNames.promptsStandard,
    schema: promptJobDataSchema,
    defaultOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /** One line of a batch, in the bulk lane. */
  'batch-line': {
    queue: queueNames.promptsBulk,
    schema: anyBatchLineJobDataSchema,
    defaultOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /** Validates a batch's input file, then enqueues its lines. */
  'batch-ingest': {
    queue: queueNames.batchControl,
    schema: batchControlJobDataSchema,
    defaultOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /** Writes a finished batch's output and error files and sets its final status. */
  'batch-finalize': {
    queue: queueNames.batchControl,
    schema: batchControlJobDataSchema,
    defaultOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /** Fires when a batch's completion window ends: lines not yet started end as expired. */
  'batch-expire': {
    queue: queueNames.batchControl,
    schema: batchControlJobDataSchema,
    defaultOptions: { attempts: 5, ...retention } satisfies JobsOptions,
  },
  /** Submits a provider batch of batch lines (OpenAI Batch API, Anthropic Message Batches). */
  'provider-batch-submit': {
    queue: queueNames.batchControl,
    schema: providerBatchJobDataSchema,
    defaultOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 2000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /**
   * Polls a submitted provider batch (a delayed job, one after another); once it has ended,
   * maps each result back to its line.
   */
  'provider-batch-poll': {
    queue: queueNames.batchControl,
    schema: providerBatchJobDataSchema,
    defaultOptions: {
      attempts: 10,
      backoff: { type: 'exponential', delay: 2000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /**
   * One webhook delivery. Its job id is the delivery id, so enqueueing it twice is a no-op;
   * `attempts` and the custom `webhook` backoff come from the retry schedule
   * (env `WEBHOOK_RETRY_DELAYS_MS`).
   */
  'webhook-delivery': {
    queue: queueNames.webhookDeliveries,
    schema: webhookDeliveryJobDataSchema,
    defaultOptions: {
      attempts: 8,
      backoff: { type: 'webhook' },
      ...retention,
    } satisfies JobsOptions,
  },
  /** Sync and streamed requests: their own queue and workers, and a short retry backoff (a client waits). */
  interactivePrompt: {
    queue: queueNames.promptsInteractive,
    schema: promptJobDataSchema,
    defaultOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 200 },
      ...retention,
    } satisfies JobsOptions,
  },
  /**
   * A sync `POST /v1/embeddings` or `POST /v1/completions` request, in the interactive lane
   * beside sync chat (the lane's workers dispatch on the job name).
   */
  interactiveEndpoint: {
    queue: queueNames.promptsInteractive,
    schema: endpointJobDataSchema,
    defaultOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 200 },
      ...retention,
    } satisfies JobsOptions,
  },
} as const;
export type JobName = keyof typeof jobCatalog;
